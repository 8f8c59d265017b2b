"""Issue 11: blocking read repair through real nodes. Hints are off on these three nodes
(127.0.0.64-66), so a replica that was down during writes keeps missing them until a read
at ALL finds the difference: the coordinator merges the replicas' answers and writes the
result back to the stale one before answering (point reads and range scans alike)."""

import pytest
from cluster_support import node_config, wait_for
from cassandra import ConsistencyLevel as CL
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import FallthroughRetryPolicy, WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement

STORAGE_PORT = 7364
HOSTS = ["127.0.0.64", "127.0.0.65", "127.0.0.66"]


def config(host):
    return node_config("repair-test", host, HOSTS[0], STORAGE_PORT,
                       "hinted_handoff_enabled: false\n")


def session(node):
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([node.host]),
                               retry_policy=FallthroughRetryPolicy(), request_timeout=30)
    c = Cluster([node.host], port=node.port, connect_timeout=20, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return c, c.connect()


def run(s, cql, cl=CL.ONE, params=None):
    return s.execute(SimpleStatement(cql, consistency_level=cl), params)


def test_reads_at_all_repair_a_replica_that_missed_writes(start_server):
    nodes = [start_server(h, config=config(h)) for h in HOSTS]
    clusters = []
    try:
        sessions = []
        for n in nodes:
            c, s = session(n)
            clusters.append(c)
            sessions.append(s)
        wait_for("every node to see the others", lambda: all(len(list(run(s, "SELECT peer FROM system.peers"))) == 2
                                                              for s in sessions))
        run(sessions[0], "CREATE KEYSPACE rr WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        run(sessions[0], "CREATE TABLE rr.point (k int PRIMARY KEY, v text)")
        run(sessions[0], "CREATE TABLE rr.scan (k int PRIMARY KEY, v text)")
        wait_for("the tables on every node", lambda: all(
            len(list(run(s, "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'rr'"))) == 2
            for s in sessions))
        wait_for("ALL to be reachable everywhere", lambda: all(
            run(s, "SELECT k FROM rr.point WHERE k = 0", cl=CL.ALL) is not None for s in sessions))

        # Node 3 is down while 20 rows per table are written at QUORUM: no hint keeps them.
        victim = nodes[2]
        clusters[2].shutdown()
        assert victim.stop() == 0
        wait_for("node 1 to see node 3 down", lambda: _unavailable_at_all(sessions[0]))
        for k in range(20):
            for t in ("point", "scan"):
                run(sessions[0], "INSERT INTO rr.%s (k, v) VALUES (%%s, %%s)" % t, cl=CL.QUORUM, params=(k, "v%d" % k))
        victim._start(victim.port)
        clusters[2], sessions[2] = session(victim)
        wait_for("node 1 to see node 3 up",   # a key nobody holds: nothing to repair yet
                 lambda: run(sessions[0], "SELECT k FROM rr.point WHERE k = -1", cl=CL.ALL) is not None)
        # Alone (it replicates everything, so ONE reads its own data), node 3 has nothing.
        assert list(run(sessions[2], "SELECT k FROM rr.point")) == []
        assert list(run(sessions[2], "SELECT k FROM rr.scan")) == []

        # Point reads at ALL through node 1: each answer is complete, and repairs node 3.
        for k in range(20):
            assert run(sessions[0], "SELECT v FROM rr.point WHERE k = %s", cl=CL.ALL, params=(k,)).one().v == "v%d" % k
        assert sorted(r.k for r in run(sessions[2], "SELECT k FROM rr.point")) == list(range(20))
        # A range scan at ALL: merged across replicas, node 3 repaired.
        assert sorted(r.k for r in run(sessions[0], "SELECT k FROM rr.scan", cl=CL.ALL)) == list(range(20))
        assert sorted(r.k for r in run(sessions[2], "SELECT k FROM rr.scan")) == list(range(20))
    finally:
        for c in clusters:
            c.shutdown()


def _unavailable_at_all(s):
    from cassandra import Unavailable
    try:
        run(s, "SELECT k FROM rr.point WHERE k = 0", cl=CL.ALL)
        return False
    except Unavailable:
        return True
