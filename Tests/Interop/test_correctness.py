"""Issue 10, part A, through the real cassandra-driver: answers that must be Cassandra's
(prepared statements after ALTER TABLE, conditional batches, client warnings, table
options, system_traces writes, system table columns, Unavailable for too few replicas)."""
import os
import subprocess
import uuid

import pytest
from cassandra import ConsistencyLevel, InvalidRequest, Unauthorized, Unavailable
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.protocol import ConfigurationException
from cassandra.query import BatchStatement, BatchType, SimpleStatement


@pytest.fixture(scope="module")
def s(server):
    cluster = Cluster([server.host], port=server.port, connect_timeout=20)
    session = cluster.connect()
    session.execute("DROP KEYSPACE IF EXISTS correctness")
    session.execute("CREATE KEYSPACE correctness WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.set_keyspace("correctness")
    yield session
    cluster.shutdown()


# A1 -------------------------------------------------------------------------------------

def test_prepared_select_star_after_alter_table_add(s):
    """The driver executes prepared statements with SKIP_METADATA and decodes rows with the
    metadata PREPARE gave it; after ALTER TABLE ADD the node must answer UNPREPARED so the
    driver prepares again, instead of sending one more column than the client expects."""
    s.execute("CREATE TABLE alt (k int PRIMARY KEY, a int, b text)")
    s.execute("INSERT INTO alt (k, a, b) VALUES (1, 10, 'x')")
    ps = s.prepare("SELECT * FROM alt WHERE k = ?")
    r = s.execute(ps, (1,)).one()
    assert (r.k, r.a, r.b) == (1, 10, "x")
    s.execute("ALTER TABLE alt ADD aa int")   # sorts between a and b in SELECT *
    s.execute("UPDATE alt SET aa = 5 WHERE k = 1")
    rs = s.execute(ps, (1,))
    assert rs.column_names == ["k", "a", "aa", "b"]
    r = rs.one()
    assert (r.k, r.a, r.aa, r.b) == (1, 10, 5, "x")
    s.execute("ALTER TABLE alt DROP a")
    r = s.execute(ps, (1,)).one()
    assert r._fields == ("k", "aa", "b") and (r.aa, r.b) == (5, "x")


def test_prepared_statement_after_drop_and_recreate(s):
    s.execute("CREATE TABLE rec (k int PRIMARY KEY, v int)")
    ins = s.prepare("INSERT INTO rec (k, v) VALUES (?, ?)")
    sel = s.prepare("SELECT * FROM rec WHERE k = ?")
    s.execute(ins, (1, 2))
    assert s.execute(sel, (1,)).one().v == 2
    s.execute("DROP TABLE rec")
    s.execute("CREATE TABLE rec (k int PRIMARY KEY, v int, w text)")
    s.execute("INSERT INTO rec (k, v, w) VALUES (1, 3, 'new')")
    rs = s.execute(sel, (1,))
    assert rs.column_names == ["k", "v", "w"]
    assert tuple(rs.one()) == (1, 3, "new")
    s.execute(ins, (2, 4))
    assert tuple(s.execute(sel, (2,)).one()) == (2, 4, None)


# A4 -------------------------------------------------------------------------------------

def test_conditional_batch_not_applied_shows_key_and_condition_columns(s):
    s.execute("CREATE TABLE cb (k int, c int, v int, w int, x text, PRIMARY KEY (k, c))")
    s.execute("INSERT INTO cb (k, c, v, w, x) VALUES (1, 1, 10, 100, 'unrelated')")
    rs = s.execute("BEGIN BATCH "
                   "UPDATE cb SET v = 11 WHERE k = 1 AND c = 1 IF w = 99; "
                   "UPDATE cb SET x = 'y' WHERE k = 1 AND c = 1 IF v = 7 "
                   "APPLY BATCH")
    assert rs.column_names == ["[applied]", "k", "c", "w", "v"]
    assert tuple(rs.one()) == (False, 1, 1, 100, 10)
    # A single conditional UPDATE shows only the condition's columns (unchanged).
    rs = s.execute("UPDATE cb SET v = 11 WHERE k = 1 AND c = 1 IF w = 99")
    assert rs.column_names == ["[applied]", "w"] and tuple(rs.one()) == (False, 100)
    # With IF NOT EXISTS in the batch every column is shown.
    rs = s.execute("BEGIN BATCH "
                   "INSERT INTO cb (k, c, v) VALUES (1, 1, 0) IF NOT EXISTS; "
                   "UPDATE cb SET x = 'z' WHERE k = 1 AND c = 2 IF v = 3 "
                   "APPLY BATCH")
    assert rs.column_names == ["[applied]", "k", "c", "v", "w", "x"]
    assert tuple(rs.one()) == (False, 1, 1, 10, 100, "unrelated")
    # Applied: [applied] alone.
    rs = s.execute("BEGIN BATCH UPDATE cb SET v = 12 WHERE k = 1 AND c = 1 IF w = 100 APPLY BATCH")
    assert rs.column_names == ["[applied]"] and rs.one()[0] is True
    assert s.execute("SELECT v FROM cb WHERE k = 1 AND c = 1").one().v == 12


# A5 -------------------------------------------------------------------------------------

def test_large_batch_warns_and_too_large_batch_fails(s):
    s.execute("CREATE TABLE bw (k int, v0 int, v1 int, PRIMARY KEY (k, v0))")
    ins = s.prepare("INSERT INTO bw (k, v0, v1) VALUES (?, ?, ?)")
    batch = BatchStatement()
    for i in range(214):   # the driver suite's case: just over 5 KiB
        batch.add(ins, (i, i, 1))
    f = s.execute_async(batch)
    f.result()
    assert len(f.warnings) == 1
    assert f.warnings[0].startswith("Batch for [correctness.bw] is of size ")
    assert "exceeding specified threshold of 5120 by" in f.warnings[0]
    # A small batch: no warning.
    small = BatchStatement()
    small.add(ins, (1000, 1, 1))
    small.add(ins, (1001, 1, 1))
    f = s.execute_async(small)
    f.result()
    assert not f.warnings
    # A single-partition batch is never warned about for its size.
    one = BatchStatement()
    for i in range(300):
        one.add(ins, (5000, i, i))
    f = s.execute_async(one)
    f.result()
    assert not f.warnings
    # Over 50 KiB: refused, nothing written.
    huge = BatchStatement()
    for i in range(2500):
        huge.add(ins, (10_000 + i, i, 1))
    with pytest.raises(InvalidRequest, match="Batch too large"):
        s.execute(huge)
    assert s.execute("SELECT count(*) FROM bw WHERE k = 10000").one()[0] == 0


def test_unlogged_batch_across_partitions_warns(s):
    s.execute("CREATE TABLE ub (k int PRIMARY KEY, v int)")
    ins = s.prepare("INSERT INTO ub (k, v) VALUES (?, ?)")
    ok = BatchStatement(batch_type=BatchType.UNLOGGED)
    for i in range(10):
        ok.add(ins, (i, i))
    f = s.execute_async(ok)
    f.result()
    assert not f.warnings
    warned = BatchStatement(batch_type=BatchType.UNLOGGED)
    for i in range(11):
        warned.add(ins, (i, i))
    f = s.execute_async(warned)
    f.result()
    assert f.warnings == ["Unlogged batch covering 11 partitions detected against table [correctness.ub]. "
                          "You should use a logged batch for atomicity, or asynchronous writes for performance."]
    # The same batch LOGGED: no warning.
    logged = BatchStatement(batch_type=BatchType.LOGGED)
    for i in range(11):
        logged.add(ins, (i, i))
    f = s.execute_async(logged)
    f.result()
    assert not f.warnings


def test_aggregation_without_partition_key_warns(s):
    s.execute("CREATE TABLE ag (k int, c int, v int, PRIMARY KEY (k, c))")
    for k in range(3):
        s.execute("INSERT INTO ag (k, c, v) VALUES (%s, 1, 1)", (k,))
    f = s.execute_async("SELECT count(*) FROM ag")
    assert f.result().one()[0] == 3
    assert f.warnings == ["Aggregation query used without partition key"]
    f = s.execute_async("SELECT count(*) FROM ag WHERE k = 1")
    assert f.result().one()[0] == 1
    assert not f.warnings
    f = s.execute_async("SELECT max(v) FROM ag WHERE k IN (1, 2)")
    f.result()
    assert f.warnings == ["Aggregation query used on multiple partition keys (IN restriction)"]
    f = s.execute_async("SELECT k FROM ag")
    f.result()
    assert not f.warnings


def test_shell_prints_warnings_like_cqlsh(server, s):
    out = subprocess.run([os.environ["HYADES_BIN"], "shell", "--host", server.host, "--port", str(server.port),
                          "-e", "SELECT count(*) FROM correctness.ag"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # As cqlsh: after the rows, on standard output, a blank line before and after.
    assert "(1 rows)\n\nWarnings :\nAggregation query used without partition key\n\n" in out.stdout, out.stdout


# A6 -------------------------------------------------------------------------------------

def test_empty_compression_map_turns_compression_off(s):
    s.execute("CREATE TABLE nocomp (k int PRIMARY KEY, v text) WITH compression = {}")
    row = s.execute("SELECT compression FROM system_schema.tables "
                    "WHERE keyspace_name = 'correctness' AND table_name = 'nocomp'").one()
    assert row.compression == {"enabled": "false"}
    s.execute("INSERT INTO nocomp (k, v) VALUES (1, 'plain')")
    assert s.execute("SELECT v FROM nocomp WHERE k = 1").one().v == "plain"
    with pytest.raises(ConfigurationException, match="no other options"):
        s.execute("CREATE TABLE nocomp2 (k int PRIMARY KEY) WITH compression = "
                  "{'enabled': 'false', 'class': 'LZ4Compressor'}")
    s.execute("CREATE TABLE comp (k int PRIMARY KEY) WITH compression = {'class': 'SnappyCompressor'}")
    row = s.execute("SELECT compression FROM system_schema.tables "
                    "WHERE keyspace_name = 'correctness' AND table_name = 'comp'").one()
    assert row.compression["class"] == "org.apache.cassandra.io.compress.SnappyCompressor"


# A7 -------------------------------------------------------------------------------------

def _traced_session_id(s):
    f = s.execute_async("SELECT * FROM system.local", trace=True)
    f.result()
    trace = f.get_query_trace(max_wait=10)
    return trace.trace_id


def test_system_traces_delete_and_truncate(s):
    tid = _traced_session_id(s)
    row = s.execute("SELECT duration, request FROM system_traces.sessions WHERE session_id = %s", (tid,)).one()
    assert row.duration is not None
    # What the driver's own test does: delete the duration, the trace looks unfinished.
    s.execute("DELETE duration FROM system_traces.sessions WHERE session_id = %s", (tid,))
    row = s.execute("SELECT duration, request FROM system_traces.sessions WHERE session_id = %s", (tid,)).one()
    assert row.duration is None and row.request is not None
    assert len(list(s.execute("SELECT * FROM system_traces.events WHERE session_id = %s", (tid,)))) > 0
    s.execute("DELETE FROM system_traces.events WHERE session_id = %s", (tid,))
    assert list(s.execute("SELECT * FROM system_traces.events WHERE session_id = %s", (tid,))) == []
    s.execute("DELETE FROM system_traces.sessions WHERE session_id = %s", (tid,))
    assert s.execute("SELECT * FROM system_traces.sessions WHERE session_id = %s", (tid,)).one() is None
    _traced_session_id(s)
    s.execute("TRUNCATE system_traces.sessions")
    s.execute("TRUNCATE system_traces.events")
    assert list(s.execute("SELECT * FROM system_traces.sessions")) == []
    # Writing rows there is the node's own business; the local keyspaces stay read-only.
    with pytest.raises(InvalidRequest):
        s.execute("INSERT INTO system_traces.sessions (session_id, request) VALUES (%s, 'x')", (uuid.uuid4(),))
    with pytest.raises(Unauthorized):
        s.execute("DELETE FROM system.local WHERE key = 'local'")
    with pytest.raises(Unauthorized):
        s.execute("TRUNCATE system_schema.tables")


# A9 -------------------------------------------------------------------------------------

def test_system_tables_have_cassandra_5_columns(s):
    local = s.execute("SELECT * FROM system.local")
    assert local.column_names == [
        "key", "bootstrapped", "broadcast_address", "broadcast_port", "cluster_name", "cql_version",
        "data_center", "gossip_generation", "host_id", "listen_address", "listen_port",
        "native_protocol_version", "partitioner", "rack", "release_version", "rpc_address", "rpc_port",
        "schema_version", "tokens", "truncated_at"]
    peers = s.execute("SELECT * FROM system.peers")
    assert peers.column_names == ["peer", "data_center", "host_id", "preferred_ip", "rack", "release_version",
                                  "rpc_address", "schema_version", "tokens"]
    peers_v2 = s.execute("SELECT * FROM system.peers_v2")
    assert peers_v2.column_names == ["peer", "peer_port", "data_center", "host_id", "native_address", "native_port",
                                     "preferred_ip", "preferred_port", "rack", "release_version", "schema_version",
                                     "tokens"]
    # Types too: the collections of system.local / peers and system_traces are not frozen.
    types = {r.column_name: r.type for r in s.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = 'system' AND table_name = 'local'")}
    assert types["tokens"] == "set<text>" and types["truncated_at"] == "map<uuid, blob>"
    types = {r.column_name: r.type for r in s.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = 'system_traces' AND table_name = 'sessions'")}
    assert types["parameters"] == "map<text, text>"
    sessions = s.execute("SELECT * FROM system_traces.sessions LIMIT 1")
    assert sessions.column_names == ["session_id", "client", "command", "coordinator", "coordinator_port",
                                     "duration", "parameters", "request", "started_at"]
    reps = {r.keyspace_name: r.replication for r in s.execute("SELECT * FROM system_schema.keyspaces")}
    assert reps["system_traces"] == {"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "2"}
    assert reps["system"]["class"] == "org.apache.cassandra.locator.LocalStrategy"
    assert list(s.execute("SELECT * FROM system_schema.dropped_columns WHERE keyspace_name = 'correctness'")) == []


# A10 ------------------------------------------------------------------------------------

class raises_unavailable:
    """Like raises_unavailable(), unwrapping the driver's NoHostAvailable: its
    default retry policy tries the next host once on Unavailable, and one node has none."""

    def __enter__(self):
        self.value = None
        return self

    def __exit__(self, kind, error, tb):
        if isinstance(error, NoHostAvailable):
            errors = [e for e in error.errors.values() if isinstance(e, Unavailable)]
            assert errors, error
            self.value = errors[0]
            return True
        assert isinstance(error, Unavailable), error
        self.value = error
        return True

def test_too_few_replicas_answers_unavailable(s):
    s.execute("CREATE KEYSPACE IF NOT EXISTS correctness_rf3 WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 3}")
    s.execute("CREATE TABLE IF NOT EXISTS correctness_rf3.t (k int PRIMARY KEY, v int)")

    def run(cl, query="INSERT INTO correctness_rf3.t (k, v) VALUES (1, 1)", args=None):
        return s.execute(SimpleStatement(query, consistency_level=cl), args)

    for cl, required in ((ConsistencyLevel.TWO, 2), (ConsistencyLevel.THREE, 3),
                         (ConsistencyLevel.QUORUM, 2), (ConsistencyLevel.ALL, 3),
                         (ConsistencyLevel.LOCAL_QUORUM, 2), (ConsistencyLevel.EACH_QUORUM, 2)):
        with raises_unavailable() as e:
            run(cl)
        assert e.value.required_replicas == required and e.value.alive_replicas == 1, cl
        assert e.value.consistency == cl
        with raises_unavailable():
            run(cl, "SELECT * FROM correctness_rf3.t WHERE k = 1")
    # Nothing was written by the refused requests; ONE works.
    assert run(ConsistencyLevel.ONE, "SELECT * FROM correctness_rf3.t WHERE k = 1").one() is None
    run(ConsistencyLevel.ONE)
    run(ConsistencyLevel.LOCAL_ONE)
    run(ConsistencyLevel.ANY)
    assert run(ConsistencyLevel.ONE, "SELECT v FROM correctness_rf3.t WHERE k = 1").one().v == 1
    # Prepared statements and batches get the same answer.
    ps = s.prepare("SELECT v FROM correctness_rf3.t WHERE k = ?")
    ps.consistency_level = ConsistencyLevel.QUORUM
    with raises_unavailable():
        s.execute(ps, (1,))
    ps.consistency_level = ConsistencyLevel.ONE
    assert s.execute(ps, (1,)).one().v == 1
    ins = s.prepare("INSERT INTO correctness_rf3.t (k, v) VALUES (?, ?)")
    batch = BatchStatement(consistency_level=ConsistencyLevel.QUORUM)
    batch.add(ins, (2, 2))
    with raises_unavailable():
        s.execute(batch)
    assert run(ConsistencyLevel.ONE, "SELECT v FROM correctness_rf3.t WHERE k = 2").one() is None
    # RF 1: every level that needs one replica works, ALL and QUORUM included.
    for cl in (ConsistencyLevel.ONE, ConsistencyLevel.QUORUM, ConsistencyLevel.ALL, ConsistencyLevel.LOCAL_QUORUM):
        s.execute(SimpleStatement("INSERT INTO correctness.alt (k, b) VALUES (9, 'q')", consistency_level=cl))
    with raises_unavailable():
        s.execute(SimpleStatement("INSERT INTO correctness.alt (k, b) VALUES (9, 'q')",
                                  consistency_level=ConsistencyLevel.TWO))
    # Reads at ANY and plain writes at SERIAL are refused as in Cassandra.
    with pytest.raises(InvalidRequest):
        run(ConsistencyLevel.ANY, "SELECT * FROM correctness_rf3.t WHERE k = 1")
    with pytest.raises(InvalidRequest):
        run(ConsistencyLevel.SERIAL)


def test_network_topology_replicas_elsewhere_are_unavailable(s):
    s.execute("CREATE KEYSPACE IF NOT EXISTS correctness_nts WITH replication = "
              "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1, 'dc2': 2}")
    s.execute("CREATE TABLE IF NOT EXISTS correctness_nts.t (k int PRIMARY KEY, v int)")
    q = "INSERT INTO correctness_nts.t (k, v) VALUES (1, 1)"
    s.execute(SimpleStatement(q, consistency_level=ConsistencyLevel.LOCAL_QUORUM))
    s.execute(SimpleStatement(q, consistency_level=ConsistencyLevel.LOCAL_ONE))
    with raises_unavailable() as e:
        s.execute(SimpleStatement(q, consistency_level=ConsistencyLevel.QUORUM))
    assert e.value.required_replicas == 2 and e.value.alive_replicas == 1
    with raises_unavailable() as e:
        s.execute(SimpleStatement(q, consistency_level=ConsistencyLevel.EACH_QUORUM))
    assert "dc2" in str(e.value)


# A5: tombstone thresholds -----------------------------------------------------------------

def test_tombstone_thresholds_warn_then_fail(start_server):
    from cassandra import ReadFailure
    node = start_server("127.0.0.31", config="tombstone_warn_threshold: 10\ntombstone_failure_threshold: 50\n")

    def connect():
        cluster = Cluster([node.host], port=node.port, connect_timeout=20)
        return cluster, cluster.connect()

    cluster, t = connect()
    t.execute("CREATE KEYSPACE ts WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    t.execute("CREATE TABLE ts.t (k int, c int, v int, PRIMARY KEY (k, c))")
    for c in range(20):
        t.execute("INSERT INTO ts.t (k, c, v) VALUES (1, %s, %s)", (c, c))
    for c in range(15):
        t.execute("DELETE FROM ts.t WHERE k = 1 AND c = %s", (c,))
    # 10 tombstones: at the threshold, no warning.
    f = t.execute_async("SELECT * FROM ts.t WHERE k = 2")
    f.result()
    assert not f.warnings

    def check(session):
        f = session.execute_async("SELECT * FROM ts.t WHERE k = 1")
        assert [r.c for r in f.result()] == [15, 16, 17, 18, 19]
        assert f.warnings == ["Read 5 live rows and 15 tombstone cells for query SELECT k, c, v FROM ts.t "
                              "(see tombstone_warn_threshold)"]

    check(t)
    # Cell tombstones (a null written) count one each.
    for k in range(3, 9):
        t.execute("INSERT INTO ts.t (k, c, v) VALUES (%s, 0, null)", (k,))
    f = t.execute_async("SELECT * FROM ts.t")
    assert len(list(f.result())) == 5 + 6
    assert f.warnings and "21 tombstone cells" in f.warnings[0]
    # The same from SSTables (a drain flushes the memtables).
    cluster.shutdown()
    node.restart()
    cluster, t = connect()
    check(t)
    # Past tombstone_failure_threshold the read stops: READ_FAILURE, not rows.
    for c in range(100, 160):
        t.execute("DELETE FROM ts.t WHERE k = 9 AND c = %s", (c,))
    with pytest.raises(ReadFailure) as e:
        t.execute(SimpleStatement("SELECT * FROM ts.t WHERE k = 9"))
    assert "READ_TOO_MANY_TOMBSTONES" in str(e.value) and e.value.failures == 1
    cluster.shutdown()


def test_lwt_and_counters_refused_on_several_replicas(s):
    """Issue 11: no Paxos or counter shards across replicas yet, so on a keyspace with more
    than one replica LWT and counter updates are refused by name, never run on one replica."""
    s.execute("CREATE KEYSPACE IF NOT EXISTS correctness_rf2 WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 2}")
    s.execute("CREATE TABLE IF NOT EXISTS correctness_rf2.t (k int PRIMARY KEY, v int)")
    s.execute("CREATE TABLE IF NOT EXISTS correctness_rf2.c (k int PRIMARY KEY, n counter)")
    with pytest.raises(InvalidRequest, match="lightweight transactions.*not supported on keyspace correctness_rf2"):
        s.execute("INSERT INTO correctness_rf2.t (k, v) VALUES (1, 1) IF NOT EXISTS")
    with pytest.raises(InvalidRequest, match="Counter updates are not supported on keyspace correctness_rf2"):
        s.execute("UPDATE correctness_rf2.c SET n = n + 1 WHERE k = 1")
    # RF 1 keeps them.
    s.execute("CREATE TABLE IF NOT EXISTS correctness.c (k int PRIMARY KEY, n counter)")
    s.execute("UPDATE correctness.c SET n = n + 2 WHERE k = 1")
    assert s.execute("SELECT n FROM correctness.c WHERE k = 1").one().n == 2
    assert s.execute("INSERT INTO correctness.alt (k, b) VALUES (77, 'x') IF NOT EXISTS").one()[0] is True
