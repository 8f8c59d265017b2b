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
