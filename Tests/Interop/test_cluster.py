"""Issue 11: real `hyades server` processes on 127.0.0.51-53 that gossip (one seed), seen by
the real cassandra-driver: every node lists the others in system.peers / peers_v2, the
driver finds all three hosts and their tokens, and sees a node go DOWN and come back UP."""
import time

import pytest
from cassandra.cluster import Cluster

STORAGE_PORT = 7351
HOSTS = ["127.0.0.51", "127.0.0.52", "127.0.0.53"]


def config(host):
    return ("cluster_name: 'gossip-test'\n"
            "storage_port: %d\n"
            "listen_address: %s\n"
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
def nodes(start_server):
    return [start_server(h, config=config(h)) for h in HOSTS]


def local_row(session):
    return session.execute("SELECT host_id, tokens FROM system.local").one()


def test_three_nodes_gossip_into_one_ring(nodes):
    sessions = []
    clusters = []
    try:
        for n in nodes:
            # One driver per node, pinned to it, to read that node's own view.
            from cassandra.policies import WhiteListRoundRobinPolicy
            from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
            profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([n.host]))
            c = Cluster([n.host], port=n.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
            clusters.append(c)
            sessions.append(c.connect())
        locals_ = {n.host: local_row(s) for n, s in zip(nodes, sessions)}

        def peers_complete():
            for n, s in zip(nodes, sessions):
                rows = list(s.execute("SELECT peer, host_id, tokens, rpc_address, data_center, rack, release_version, "
                                      "schema_version FROM system.peers"))
                if sorted(r.peer for r in rows) != sorted(h for h in HOSTS if h != n.host):
                    return False
            return True
        wait_for("every node to list the two others in system.peers", peers_complete)
        for n, s in zip(nodes, sessions):
            for r in s.execute("SELECT * FROM system.peers"):
                assert r.host_id == locals_[r.peer].host_id
                assert set(r.tokens) == set(locals_[r.peer].tokens) and len(r.tokens) == 16
                assert r.rpc_address == r.peer and r.data_center == "datacenter1" and r.rack == "rack1"
                assert r.release_version == "5.0.0" and r.schema_version is not None
            v2 = {r.peer: r for r in s.execute("SELECT * FROM system.peers_v2")}
            assert sorted(v2) == sorted(h for h in HOSTS if h != n.host)
            for peer, r in v2.items():
                other = nodes[HOSTS.index(peer)]
                assert r.peer_port == STORAGE_PORT and r.native_address == peer and r.native_port == other.port
    finally:
        for c in clusters:
            c.shutdown()


def test_driver_sees_every_host_and_status_changes(nodes):
    cluster = Cluster([nodes[0].host], port=nodes[0].port, connect_timeout=20)
    try:
        session = cluster.connect()
        wait_for("the driver to know three up hosts",
                 lambda: len([h for h in cluster.metadata.all_hosts() if h.is_up]) == 3)
        assert len(cluster.metadata.token_map.ring) == 48
        session.execute("SELECT * FROM system.local")
        # A node drained (SIGTERM) is announced DOWN through gossip, then UP when it is back.
        victim = nodes[2]
        assert victim.stop() == 0
        host = [h for h in cluster.metadata.all_hosts() if h.address == victim.host][0]
        wait_for("the driver to see the stopped node DOWN", lambda: not host.is_up, seconds=30)
        victim._start(victim.port)
        wait_for("the driver to see the node UP again (%s, %s)" % (host.endpoint, victim.port),
                 lambda: host.is_up, seconds=60)
    finally:
        cluster.shutdown()


def test_nodetool_status_and_getendpoints_agree_with_the_driver(nodes):
    import os
    import struct
    import subprocess
    from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
    from cassandra.policies import WhiteListRoundRobinPolicy
    first = nodes[0]
    binary = os.environ["HYADES_BIN"]

    def nodetool(*args):
        out = subprocess.run([binary, "nodetool", args[0], "-h", first.host, "-p", str(first.port)] + list(args[1:]),
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    up = lambda: [line for line in nodetool("status").splitlines() if line.startswith("UN ")]
    try:
        wait_for("nodetool status to show three nodes up", lambda: len(up()) == 3, seconds=30)
    finally:
        status = nodetool("status")
    assert len(up()) == 3, status
    assert "Datacenter: datacenter1" in status and "Owns" in status
    for h in HOSTS:
        assert "UN  %s " % h in status
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([first.host]))
    cluster = Cluster([first.host], port=first.port, connect_timeout=20,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    try:
        s = cluster.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS placed WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 2}")
        s.execute("CREATE TABLE IF NOT EXISTS placed.t (id int PRIMARY KEY)")
        cluster.refresh_schema_metadata()
        wait_for("the driver's token map to hold the keyspace",
                 lambda: cluster.metadata.token_map is not None and
                 len(cluster.metadata.get_replicas("placed", struct.pack(">i", 1))) == 2)
        effective = nodetool("status", "placed")
        assert "Owns (effective)" in effective
        owned = [float(line.split()[4].rstrip("%")) for line in effective.splitlines() if line.startswith("UN ")]
        assert abs(sum(owned) - 200.0) < 0.5, effective   # RF 2: every range counted twice
        for key in range(0, 2000, 20):
            driver = sorted(h.address for h in cluster.metadata.get_replicas("placed", struct.pack(">i", key)))
            ours = sorted(nodetool("getendpoints", "placed", "t", str(key)).split())
            assert ours == driver, key
    finally:
        cluster.shutdown()


def test_ddl_on_one_node_reaches_every_node(nodes):
    """Schema push and pull: a DDL through the driver returns with schema agreement, and
    every node (read through a driver pinned to it) has the keyspace and table."""
    from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
    from cassandra.policies import WhiteListRoundRobinPolicy
    cluster = Cluster([nodes[1].host], port=nodes[1].port, connect_timeout=20)
    try:
        s = cluster.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS spread WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE IF NOT EXISTS spread.t (k int PRIMARY KEY, v text)")
        assert cluster.control_connection.wait_for_schema_agreement()
        for n in nodes:
            profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([n.host]))
            pinned = Cluster([n.host], port=n.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
            try:
                p = pinned.connect()
                tables = [r.table_name for r in p.execute(
                    "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'spread'")]
                assert tables == ["t"], (n.host, tables)
                # Each node's own view agrees once gossip has carried the new versions to it
                # (a round or two after the driver's agreement, which asks one node).
                def versions():
                    v = {r.schema_version for r in p.execute("SELECT schema_version FROM system.peers")}
                    v.add(p.execute("SELECT schema_version FROM system.local").one().schema_version)
                    return v
                wait_for("%s to see one schema version" % n.host, lambda: len(versions()) == 1, seconds=15)
                assert len(versions()) == 1, (n.host, versions())
            finally:
                pinned.shutdown()
        # Token-aware writes and reads find each row on its replica.
        insert = s.prepare("INSERT INTO spread.t (k, v) VALUES (?, ?)")
        for k in range(50):
            s.execute(insert, (k, "v%d" % k))
        select = s.prepare("SELECT v FROM spread.t WHERE k = ?")
        assert [s.execute(select, (k,)).one().v for k in range(50)] == ["v%d" % k for k in range(50)]
    finally:
        cluster.shutdown()


def test_bulk_load_at_rf3_puts_every_row_on_three_nodes(nodes, tmp_path):
    import os
    import subprocess
    from cassandra import ConsistencyLevel
    from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
    from cassandra.policies import WhiteListRoundRobinPolicy
    from cassandra.query import SimpleStatement
    first = nodes[0]
    cluster = Cluster([first.host], port=first.port, connect_timeout=20)
    try:
        s = cluster.connect()
        s.execute("CREATE KEYSPACE IF NOT EXISTS loaded WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 3}")
        s.execute("CREATE TABLE IF NOT EXISTS loaded.t (id bigint PRIMARY KEY, v double)")
        assert cluster.control_connection.wait_for_schema_agreement()
    finally:
        cluster.shutdown()
    csv = tmp_path / "t.csv"
    csv.write_text("id,v\n" + "".join("%d,%s\n" % (i, i * 0.5) for i in range(3000)))
    out = subprocess.run([os.environ["HYADES_BIN"], "load", "-t", "loaded.t", "--host", first.host,
                          "--port", str(first.port), "--storage-port", str(STORAGE_PORT), "--no-progress", str(csv)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # Each node alone (pinned, consistency ONE) holds every row: the loader streamed each
    # SSTable to the three replicas of its ranges.
    for n in nodes:
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([n.host]))
        pinned = Cluster([n.host], port=n.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        try:
            p = pinned.connect()
            count = p.execute(SimpleStatement("SELECT count(*) FROM loaded.t", consistency_level=ConsistencyLevel.ONE)).one()[0]
            assert count == 3000, (n.host, count)
        finally:
            pinned.shutdown()


def test_a_node_restarted_on_another_address_keeps_its_host_id_and_data(nodes):
    """A node is its host id: node 3 comes back on 127.0.0.54 with the same data
    directory; the others list it there (same host id, same tokens), not at its old
    address, and it still holds the rows it held."""
    from cassandra import ConsistencyLevel
    from cassandra.cluster import ExecutionProfile, EXEC_PROFILE_DEFAULT
    from cassandra.policies import WhiteListRoundRobinPolicy
    from cassandra.query import SimpleStatement
    old = nodes[2]

    def pinned(node):
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([node.host]))
        return Cluster([node.host], port=node.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})

    c = pinned(old)
    before = c.connect().execute("SELECT host_id, tokens FROM system.local").one()
    c.shutdown()
    assert old.stop() == 0
    moved = type(old)(old.binary, old.data_dir, host="127.0.0.54", config=config("127.0.0.54"))
    first = pinned(nodes[0])
    try:
        s = first.connect()

        def peers():
            return {r.peer: r for r in s.execute("SELECT peer, host_id, tokens FROM system.peers")}
        wait_for("node 1 to list the node at its new address only",
                 lambda: set(peers()) == {"127.0.0.52", "127.0.0.54"}, seconds=60)
        row = peers()["127.0.0.54"]
        assert row.host_id == before.host_id and set(row.tokens) == set(before.tokens)
        m = pinned(moved)
        try:
            count = m.connect().execute(SimpleStatement("SELECT count(*) FROM loaded.t",
                                                        consistency_level=ConsistencyLevel.ONE)).one()[0]
            assert count == 3000
        finally:
            m.shutdown()
    finally:
        first.shutdown()
        assert moved.stop() == 0
