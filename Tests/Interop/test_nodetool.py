"""Issue 11 item 9: `hyades nodetool` gossipinfo, tablestats, flush, compact and drain against
real `hyades server` processes on 127.0.0.81-83 (storage_port 7381, where nodetool's
management requests go), checked against what the nodes really hold: system.local tokens,
SSTable files in the data directory, rows read back with the real cassandra-driver."""
import os
import glob
import re
import socket
import subprocess
import time

import pytest
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import WhiteListRoundRobinPolicy

STORAGE_PORT = 7381
HOSTS = ["127.0.0.81", "127.0.0.82", "127.0.0.83"]
NOBODY = "127.0.0.84"


def config(host):
    return ("cluster_name: 'nodetool-test'\n"
            "storage_port: %d\n"
            "listen_address: %s\n"
            "num_tokens: 4\n"
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


def nodetool(node_host, *args, storage_port=STORAGE_PORT):
    """Runs `hyades nodetool` with Cassandra's option order (options before the command)."""
    return subprocess.run([os.environ["HYADES_BIN"], "nodetool", "-h", node_host, "--storage-port", str(storage_port)]
                          + list(args), capture_output=True, text=True, timeout=60)


def session_on(node):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([node.host]))
    cluster = Cluster([node.host], port=node.port, connect_timeout=20,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return cluster, cluster.connect()


def table_stats(node, name):
    """tablestats of one table as {figure: text}."""
    out = nodetool(node.host, "tablestats", name)
    assert out.returncode == 0, out.stderr
    figures = {}
    for line in out.stdout.splitlines():
        if line.startswith("\t\t") and ": " in line:
            key, value = line.strip().split(": ", 1)
            figures[key] = value
    return figures


def data_files(node, keyspace, table):
    return glob.glob(os.path.join(node.data_dir, keyspace, table + "-*", "*-Data.db"))


@pytest.fixture(scope="module")
def nodes(start_server):
    started = [start_server(h, config=config(h)) for h in HOSTS]

    def everyone_normal():
        out = nodetool(HOSTS[0], "gossipinfo")
        return out.returncode == 0 and out.stdout.count("STATUS:") == 3 and out.stdout.count(":NORMAL,") == 3
    wait_for("every node NORMAL in node 1's gossip", everyone_normal)
    return started


def test_gossipinfo_lists_every_node_normal_with_its_tokens(nodes):
    out = nodetool(HOSTS[0], "gossipinfo", "--tokens")
    assert out.returncode == 0, out.stderr
    blocks = {}
    for line in out.stdout.splitlines():
        if line.startswith("/"):
            current = line[1:]
            blocks[current] = {}
        else:
            key, rest = line.strip().split(":", 1)
            blocks[current][key] = rest
    assert sorted(blocks) == HOSTS
    for node in nodes:
        cluster, session = session_on(node)
        try:
            tokens = sorted(int(t) for t in session.execute("SELECT tokens FROM system.local").one().tokens)
        finally:
            cluster.shutdown()
        state = blocks[node.host]
        assert int(state["generation"]) > 0 and int(state["heartbeat"]) >= 0
        version, status = state["STATUS"].split(":", 1)
        kind, first = status.split(",", 1)
        assert kind == "NORMAL" and int(first) in tokens
        assert sorted(int(t) for t in state["TOKENS"].split(":", 1)[1].split(",")) == tokens
        assert state["NATIVE_ADDRESS_AND_PORT"].split(":", 1)[1] == "%s:%d" % (node.host, node.port)
    # Without --tokens, as Cassandra: the tokens are hidden.
    plain = nodetool(HOSTS[0], "gossipinfo").stdout
    assert plain.count(":<hidden>") == 3


def test_flush_compact_and_tablestats_match_what_is_stored(nodes):
    node = nodes[0]
    cluster, session = session_on(node)
    try:
        # RF 3 on three nodes: every row is on this node (RF 1 would spread them over the ring).
        session.execute("CREATE KEYSPACE nt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        session.execute("CREATE TABLE nt.t (k int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO nt.t (k, v) VALUES (?, ?)")
        for k in range(40):
            session.execute(insert, (k, "v%d" % k))
        before = table_stats(node, "nt.t")
        assert before["SSTable count"] == "0" and data_files(node, "nt", "t") == []
        assert before["Number of partitions (estimate)"] == "40"
        assert int(before["Memtable data size"]) > 0

        flushed = nodetool(node.host, "flush", "nt", "t")
        assert flushed.returncode == 0 and flushed.stdout == "", flushed.stderr
        after = table_stats(node, "nt.t")
        assert after["SSTable count"] == "1" and len(data_files(node, "nt", "t")) == 1
        assert after["Number of partitions (estimate)"] == "40"
        assert after["Memtable data size"] == "0"
        live = int(after["Space used (live)"])
        on_disk = sum(os.path.getsize(f) for f in glob.glob(os.path.join(node.data_dir, "nt", "t-*", "hy-*")))
        assert 0 < live <= on_disk

        # Two more flushes of new partitions (nodetool flush with no argument: every table).
        for start in (40, 80):
            for k in range(start, start + 40):
                session.execute(insert, (k, "v%d" % k))
            assert nodetool(node.host, "flush").returncode == 0
        three = table_stats(node, "nt.t")
        assert three["SSTable count"] == "3" and len(data_files(node, "nt", "t")) == 3
        assert three["Number of partitions (estimate)"] == "120"

        compacted = nodetool(node.host, "compact", "nt")
        assert compacted.returncode == 0, compacted.stderr
        one = table_stats(node, "nt.t")
        # A major compaction writes one SSTable per storage shard holding data: the node
        # replicates the whole ring (RF 3 of 3), so every ring token cuts (docs/architecture.md).
        import bisect
        import struct
        from cassandra.murmur3 import murmur3
        ring = sorted(int(t) for t in session.execute("SELECT tokens FROM system.local").one().tokens)
        for r in session.execute("SELECT tokens FROM system.peers"):
            ring = sorted(ring + [int(t) for t in r.tokens])
        shards = {bisect.bisect_left(ring, murmur3(struct.pack(">i", k))) for k in range(120)}
        assert one["SSTable count"] == str(len(shards)) and len(data_files(node, "nt", "t")) == len(shards), \
            (one["SSTable count"], len(shards))
        assert one["Number of partitions (estimate)"] == "120"
        assert session.execute("SELECT count(*) FROM nt.t").one()[0] == 120
        # status' Load is gossip's LOAD, asked over storage_port: known for every node.
        status = nodetool(node.host, "-p", str(node.port), "status")
        rows = [l.split() for l in status.stdout.splitlines() if l.startswith("UN ")]
        assert len(rows) == 3 and all(r[3] in ("bytes", "KiB", "MiB") for r in rows), status.stdout
        assert session.execute("SELECT v FROM nt.t WHERE k = 77").one().v == "v77"
    finally:
        cluster.shutdown()


def test_bad_arguments_fail_clearly(nodes):
    cluster, session = session_on(nodes[0])
    session.execute("CREATE KEYSPACE IF NOT EXISTS nt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE IF NOT EXISTS nt.t (k int PRIMARY KEY, v text)")
    cluster.shutdown()
    unknown_ks = nodetool(HOSTS[0], "flush", "nope")
    assert unknown_ks.returncode == 1 and "Keyspace [nope] does not exist." in unknown_ks.stderr
    unknown_table = nodetool(HOSTS[0], "compact", "nt", "nope")
    assert unknown_table.returncode == 2 and "Unknown keyspace/cf pair (nt.nope)" in unknown_table.stderr
    stats = nodetool(HOSTS[0], "tablestats", "nope")
    assert stats.returncode == 1 and "Unknown keyspace: nope" in stats.stderr
    tables = nodetool(HOSTS[0], "tablestats", "nt.a", "nt.t")
    assert tables.returncode == 1 and "Unknown tables: [a] in keyspace: nt" in tables.stderr
    unreachable = nodetool(NOBODY, "gossipinfo")
    assert unreachable.returncode == 1
    assert "Failed to connect to '%s:%d'" % (NOBODY, STORAGE_PORT) in unreachable.stderr
    # A port that is not a storage_port (the node's CQL port) is told apart from a node.
    wrong = nodetool(HOSTS[0], "gossipinfo", storage_port=next(n.port for n in nodes if n.host == HOSTS[0]))
    assert wrong.returncode == 1 and wrong.stderr.startswith("nodetool: ")


def test_drain_stops_serving_and_keeps_the_data(nodes):
    node = nodes[2]
    cluster, session = session_on(node)
    session.execute("CREATE KEYSPACE IF NOT EXISTS nt3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    session.execute("CREATE TABLE IF NOT EXISTS nt3.d (k int PRIMARY KEY, v int)")
    insert = session.prepare("INSERT INTO nt3.d (k, v) VALUES (?, ?)")
    for k in range(25):
        session.execute(insert, (k, k * k))
    cluster.shutdown()
    assert table_stats(node, "nt3.d")["SSTable count"] == "0"

    drained = nodetool(node.host, "drain")
    assert drained.returncode == 0 and drained.stdout == "", drained.stderr
    # Flushed by the drain, before it answered.
    assert len(data_files(node, "nt3", "d")) == 1
    # Not serving: CQL refused, nor nodetool; the process stays up (as Cassandra's).
    with pytest.raises(OSError):
        socket.create_connection((node.host, node.port), timeout=2).close()
    assert nodetool(node.host, "tablestats").returncode == 1
    assert node.proc.poll() is None
    # The others saw it announce its shutdown.
    wait_for("node 1 to see node 3 shut down",
             lambda: re.search(r"/%s\n(  .*\n)*?  STATUS:\d+:shutdown" % re.escape(node.host),
                               nodetool(HOSTS[0], "gossipinfo").stdout) is not None)

    assert node.stop() == 0, "".join(node.log)
    first_run = len(node.log)
    node._start(node.port)
    wait_for("the restarted node's replay report", lambda: any("commit log replayed" in l for l in node.log[first_run:]))
    replay = next(l for l in node.log[first_run:] if "commit log replayed" in l)
    assert "entries=0 " in replay, replay   # everything was flushed: nothing replayed
    cluster, session = session_on(node)
    try:
        rows = {r.k: r.v for r in session.execute("SELECT k, v FROM nt3.d")}
        assert rows == {k: k * k for k in range(25)}
    finally:
        cluster.shutdown()
    # Gossip's LOAD is the bytes of the node's live SSTables: every table's live space
    # (nt.t of the test above is replicated here too, RF 3).
    gossip = nodetool(node.host, "gossipinfo").stdout
    load = re.search(r"/%s\n(  .*\n)*?  LOAD:\d+:([0-9.E]+)\n" % re.escape(node.host), gossip).group(2)
    stats = nodetool(node.host, "tablestats").stdout
    live = sum(int(l.split(": ")[1]) for l in stats.splitlines() if l.strip().startswith("Space used (live):"))
    assert float(load) == live > 0
