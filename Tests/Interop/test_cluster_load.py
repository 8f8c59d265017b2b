"""Issue 11 items 1 and 6 on real nodes: three `hyades server` processes on 127.0.0.91-93
(storage_port 7391), GossipingPropertyFileSnitch with two racks (r1: .91 and .93, r2: .92),
started one after another.

- Token allocation: each new node learns the ring from its seed through gossip before it
  picks its tokens (allocate_tokens_for_local_replication_factor); primary ownership stays
  near a third each, and a restarted node keeps its tokens.
- `hyades load` places SSTables as the nodes do (rack-aware NetworkTopologyStrategy): each
  node, read alone, holds exactly the keys whose replicas (the driver's token map, and
  `nodetool getendpoints` for a sample) include it. With a node stopped, the default
  consistency ALL fails naming it and sends nothing; QUORUM loads into the others.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import time

import pytest
from cassandra import ConsistencyLevel
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement

from conftest import Server, _binary

STORAGE_PORT = 7391
HOSTS = ["127.0.0.91", "127.0.0.92", "127.0.0.93"]
RACKS = {"127.0.0.91": "r1", "127.0.0.92": "r2", "127.0.0.93": "r1"}


def config(host):
    return ("cluster_name: 'loadplace-test'\n"
            "storage_port: %d\n"
            "listen_address: %s\n"
            "num_tokens: 16\n"
            "endpoint_snitch: GossipingPropertyFileSnitch\n"
            "seed_provider:\n"
            "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
            "    parameters:\n"
            "      - seeds: \"%s:%d\"\n" % (STORAGE_PORT, host, HOSTS[0], STORAGE_PORT))


def wait_for(what, predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)


@pytest.fixture(scope="module")
def nodes():
    started = []
    try:
        for h in HOSTS:
            data = tempfile.mkdtemp(prefix="hyades-loadplace-")
            with open(os.path.join(data, "cassandra-rackdc.properties"), "w") as f:
                f.write("dc=dc1\nrack=%s\n" % RACKS[h])
            # One after another: each start returns once the node serves CQL, so a node
            # allocates against the ring of the nodes before it.
            started.append(Server(_binary(), data, host=h, config=config(h)))
        yield started
    finally:
        failures = []
        for s in started:
            if s.proc.poll() is None and s.stop() != 0:
                failures.append("".join(s.log))
            shutil.rmtree(s.data_dir, ignore_errors=True)
        assert not failures, failures


def nodetool(node, *args):
    out = subprocess.run([os.environ["HYADES_BIN"], "nodetool", args[0], "-h", node.host, "-p", str(node.port)] + list(args[1:]),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def pinned(node):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([node.host]),
                               consistency_level=ConsistencyLevel.ONE)
    return Cluster([node.host], port=node.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})


def local_keys(node, table):
    """The ids a node holds itself: read from its own SSTables on disk with `hyades sstable
    dump` (loads adopt SSTables, nothing is in a memtable). A CQL read cannot tell: the node
    coordinates it and fetches what it lacks from the replicas."""
    import glob
    import json
    keyspace, name = table.split(".")
    ids = set()
    for data in glob.glob(os.path.join(node.data_dir, keyspace, name + "-*", "*-Data.db")):
        out = subprocess.run([os.environ["HYADES_BIN"], "sstable", "dump", data], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        for p in json.loads(out.stdout):
            ids.add(int(p["partition"]["key"][0]))
    return ids


def load(node, table, csv, *extra):
    return subprocess.run([os.environ["HYADES_BIN"], "load", "-t", table, "--host", node.host, "--port", str(node.port),
                           "--storage-port", str(STORAGE_PORT), "--no-progress", str(csv)] + list(extra),
                          capture_output=True, text=True, timeout=120)


def accepts(host, port):
    import socket
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def ring_ready(nodes):
    up = [line for line in nodetool(nodes[0], "status").splitlines() if line.startswith("UN ")]
    return len(up) == 3


def test_new_nodes_allocate_tokens_against_the_ring_they_learned(nodes):
    wait_for("three nodes up", lambda: ring_ready(nodes))
    # Node 2 saw node 1, node 3 saw nodes 1 and 2 before choosing their tokens.
    for node, seen in zip(nodes, [0, 1, 2]):
        log = "".join(node.log)
        assert "token allocation: 16 tokens for dc1/%s against a ring of %d node(s)" % (RACKS[node.host], seen) in log, log
    status = nodetool(nodes[0], "status")
    owns = {line.split()[1]: float(line.split()[4].rstrip("%")) for line in status.splitlines() if line.startswith("UN ")}
    assert set(owns) == set(HOSTS), status
    # Primary ownership (RF 1): near a third each. Simulated, the allocator's splits keep
    # every node within 22-45% in 99.995% of clusters; random 16-token vnodes in 80%.
    for h, share in owns.items():
        assert 22.0 <= share <= 45.0, status
    c = pinned(nodes[0])
    try:
        s = c.connect()
        # While a DC has fewer nodes than the factor (3), every token splits the largest
        # range at 1/4..3/4, so no range is ever below a quarter of the largest: the whole
        # ring's widths stay within a factor 4 (48 random tokens: typically a factor of
        # several hundred).
        tokens = [int(t) for t in s.execute("SELECT tokens FROM system.local").one().tokens]
        for row in s.execute("SELECT tokens FROM system.peers"):
            tokens += [int(t) for t in row.tokens]
        tokens.sort()
        assert len(tokens) == 48 and len(set(tokens)) == 48
        widths = [(tokens[i] - tokens[i - 1]) % (1 << 64) for i in range(len(tokens))]
        assert max(widths) / min(widths) <= 4.001, sorted(widths)
        s.execute("CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}")
        s.execute("CREATE TABLE IF NOT EXISTS rf3.t (id bigint PRIMARY KEY, v double)")
    finally:
        c.shutdown()
    effective = nodetool(nodes[0], "status", "rf3")
    for line in effective.splitlines():
        if line.startswith("UN "):
            assert line.split()[4] == "100.0%", effective


def test_load_places_every_sstable_on_the_replicas_the_nodes_name(nodes, tmp_path):
    wait_for("three nodes up", lambda: ring_ready(nodes))
    c = Cluster([nodes[0].host], port=nodes[0].port, connect_timeout=20)
    try:
        s = c.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS racked WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2}")
        s.execute("CREATE TABLE IF NOT EXISTS racked.t (id bigint PRIMARY KEY, v double)")
        assert c.control_connection.wait_for_schema_agreement()
        for n in nodes:
            wait_for("the table on " + n.host, lambda: nodetool(n, "getendpoints", "racked", "t", "1").strip() != "")
        csv = tmp_path / "t.csv"
        n_rows = 10000   # the issue: driver and nodes agree on 10,000 keys (NTS, 2 racks)
        csv.write_text("id,v\n" + "".join("%d,%s\n" % (i, i * 0.5) for i in range(n_rows)))
        out = load(nodes[0], "racked.t", csv)
        assert out.returncode == 0, out.stdout + out.stderr
        c.refresh_schema_metadata()
        wait_for("the driver's token map", lambda: c.metadata.token_map is not None and
                 len(c.metadata.get_replicas("racked", struct.pack(">q", 1))) == 2)
        expected = {h: set() for h in HOSTS}
        for i in range(n_rows):
            replicas = {h.address for h in c.metadata.get_replicas("racked", struct.pack(">q", i))}
            assert len(replicas) == 2
            # Rack-aware: one replica per rack (r2 has one node, so .92 holds everything).
            assert {RACKS[h] for h in replicas} == {"r1", "r2"}, (i, replicas)
            for h in replicas:
                expected[h].add(i)
        # nodetool getendpoints (the nodes' placement) names the same replicas.
        for i in range(0, n_rows, 500):
            ours = set(nodetool(nodes[1], "getendpoints", "racked", "t", str(i)).split())
            assert ours == {h.address for h in c.metadata.get_replicas("racked", struct.pack(">q", i))}, i
    finally:
        c.shutdown()
    for n in nodes:
        held = local_keys(n, "racked.t")
        assert held == expected[n.host], (n.host, len(held), len(expected[n.host]),
                                          sorted(held - expected[n.host])[:5], sorted(expected[n.host] - held)[:5])
    # SimpleStrategy's walk would have put some ranges on .91 and .93 together (both r1).
    assert len(expected["127.0.0.92"]) == n_rows


def test_sstable_import_sends_an_sstable_to_every_replica_of_its_ranges(nodes, tmp_path):
    wait_for("three nodes up", lambda: ring_ready(nodes))
    c = pinned(nodes[0])
    try:
        s = c.connect()
        s.execute("CREATE TABLE IF NOT EXISTS racked.imp (id bigint PRIMARY KEY, v double)")
    finally:
        c.shutdown()
    for n in nodes:
        wait_for("the table on " + n.host, lambda: nodetool(n, "getendpoints", "racked", "imp", "1").strip() != "")
    schema = tmp_path / "schema.cql"
    schema.write_text("CREATE KEYSPACE racked WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2};\n"
                      "CREATE TABLE racked.imp (id bigint PRIMARY KEY, v double);\n")
    csv = tmp_path / "imp.csv"
    csv.write_text("id,v\n" + "".join("%d,1\n" % i for i in range(500)))
    # Written without a node (--output-dir): SSTables not cut at the ring (one per
    # writer thread, each over half the token space), whose ranges have every node among
    # their replicas: each goes to all three.
    out_dir = tmp_path / "sst"
    out = subprocess.run([os.environ["HYADES_BIN"], "load", "-t", "racked.imp", "--schema", str(schema), "--output-dir",
                          str(out_dir), "--no-progress", str(csv)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    imp = subprocess.run([os.environ["HYADES_BIN"], "sstable", "import", str(out_dir), "--keyspace", "racked", "--table", "imp",
                          "--host", nodes[0].host, "--port", str(nodes[0].port), "--storage-port", str(STORAGE_PORT)],
                         capture_output=True, text=True, timeout=120)
    assert imp.returncode == 0, imp.stdout + imp.stderr
    lines = [l for l in imp.stdout.splitlines() if l.startswith("imported ") and "(500 partitions" in l]
    assert sorted(l.split(" on ")[1].split(":")[0] for l in lines) == HOSTS, imp.stdout
    for n in nodes:
        assert len(local_keys(n, "racked.imp")) == 500, n.host


def test_a_stopped_replica_fails_a_load_at_all_and_quorum_loads_into_the_others(nodes, tmp_path):
    wait_for("three nodes up", lambda: ring_ready(nodes))
    third = nodes[2]
    c = Cluster([nodes[0].host], port=nodes[0].port, connect_timeout=20)
    try:
        s = c.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3}")
        s.execute("CREATE TABLE IF NOT EXISTS rf3.t (id bigint PRIMARY KEY, v double)")
        assert c.control_connection.wait_for_schema_agreement()
    finally:
        c.shutdown()
    for n in nodes:
        wait_for("the table on " + n.host, lambda: nodetool(n, "getendpoints", "rf3", "t", "1").strip() != "")
    c = pinned(third)
    try:
        before = c.connect().execute("SELECT host_id, tokens FROM system.local").one()
    finally:
        c.shutdown()
    csv = tmp_path / "down.csv"
    csv.write_text("id,v\n" + "".join("%d,2\n" % i for i in range(1000)))
    assert third.stop() == 0
    try:
        wait_for("node 3 seen down", lambda: any(line.startswith("DN ") and third.host in line
                                                  for line in nodetool(nodes[0], "status").splitlines()))
        out = load(nodes[0], "rf3.t", csv)
        assert out.returncode != 0, out.stdout
        err = out.stdout + out.stderr
        assert "--consistency ALL cannot be met" in err, err
        assert "%s (host id %s)" % (third.host, before.host_id) in err, err
        assert "Nothing was sent" in err, err
        assert local_keys(nodes[0], "rf3.t") == set()
        assert local_keys(nodes[1], "rf3.t") == set()
        out = load(nodes[0], "rf3.t", csv, "--consistency", "QUORUM", "--timestamp", "1700000000000000")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "--consistency QUORUM: not sent to unreachable replicas: %s (host id %s)" % (third.host, before.host_id) \
            in out.stdout, out.stdout
        assert "--timestamp 1700000000000000" in out.stdout, out.stdout
        for n in nodes[:2]:
            assert len(local_keys(n, "rf3.t")) == 1000, n.host
        # LOCAL_QUORUM at RF 3 in dc1 needs two of three: met by the two live nodes.
        out = load(nodes[0], "rf3.t", csv, "--consistency", "LOCAL_QUORUM")
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        lines_before_restart = len(third.log)
        third._start(third.port)
    # The restarted node keeps its host id and tokens (chosen once, at its first start).
    c = pinned(third)
    try:
        after = c.connect().execute("SELECT host_id, tokens FROM system.local").one()
    finally:
        c.shutdown()
    assert after.host_id == before.host_id
    assert sorted(after.tokens) == sorted(before.tokens)
    # A restart reads its tokens back; it allocates nothing.
    assert "token allocation" not in "".join(third.log[lines_before_restart:])
    # It missed the QUORUM load (no repair yet): it holds none of those rows.
    assert local_keys(third, "rf3.t") == set()
    # The same load again at ALL with the QUORUM load's timestamp: node 3 gets its
    # SSTables, the two others answer "already imported" for theirs.
    wait_for("node 3 seen up", lambda: ring_ready(nodes))
    wait_for("node 3's storage_port", lambda: accepts(third.host, STORAGE_PORT))
    out = load(nodes[0], "rf3.t", csv, "--timestamp", "1700000000000000")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "already imported" in out.stdout, out.stdout
    assert len(local_keys(third, "rf3.t")) == 1000
