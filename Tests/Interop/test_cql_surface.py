"""The CQL surface of issue 3 through the real cassandra-driver, one statement form at a
time: what a user types, what the driver hands back."""
import pytest
from cassandra import InvalidRequest
from cassandra.cluster import Cluster
from cassandra.query import BatchStatement, BatchType, SimpleStatement


@pytest.fixture(scope="module")
def s(server):
    cluster = Cluster([server.host], port=server.port, connect_timeout=20)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS \"Surface\" WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute('USE "Surface"')
    session.execute("CREATE TABLE IF NOT EXISTS obs (src bigint, band text, epoch int, mag double, "
                    "note text, cat text static, PRIMARY KEY (src, band, epoch))")
    session.execute("TRUNCATE obs")
    insert = session.prepare("INSERT INTO obs (src, band, epoch, mag) VALUES (?, ?, ?, ?)")
    for src in range(3):
        for band in ("BP", "G", "RP"):
            for epoch in range(4):
                session.execute(insert, (src, band, epoch, src * 10 + epoch + (0.5 if band == "G" else 0.0)))
    yield session
    cluster.shutdown()


def test_use_quoted_keyspace(s):
    assert s.keyspace == "Surface"
    assert s.execute("SELECT count(*) FROM obs").one()[0] == 36


def test_in_and_multi_column_slices(s):
    rows = s.execute("SELECT src, band, epoch FROM obs WHERE src IN (2, 0) AND band = 'G' AND epoch IN (1, 3)")
    assert sorted((r.src, r.epoch) for r in rows) == [(0, 1), (0, 3), (2, 1), (2, 3)]
    rows = s.execute("SELECT band, epoch FROM obs WHERE src = 1 AND (band, epoch) > ('G', 2) AND (band, epoch) <= ('RP', 1)")
    assert [(r.band, r.epoch) for r in rows] == [("G", 3), ("RP", 0), ("RP", 1)]
    rows = s.execute("SELECT band, epoch FROM obs WHERE src = 1 AND (band, epoch) IN (('BP', 0), ('RP', 3))")
    assert [(r.band, r.epoch) for r in rows] == [("BP", 0), ("RP", 3)]
    rows = s.execute("SELECT epoch FROM obs WHERE src = 1 AND band = 'G' ORDER BY band DESC, epoch DESC LIMIT 2")
    assert [r.epoch for r in rows] == [3, 2]


def test_distinct_per_partition_limit_and_filtering(s):
    assert sorted(r.src for r in s.execute("SELECT DISTINCT src FROM obs")) == [0, 1, 2]
    rows = list(s.execute("SELECT src, band, epoch FROM obs PER PARTITION LIMIT 2"))
    assert len(rows) == 6 and all(r.band == "BP" and r.epoch < 2 for r in rows)
    with pytest.raises(InvalidRequest, match="ALLOW FILTERING"):
        s.execute("SELECT * FROM obs WHERE mag > 20")
    rows = s.execute("SELECT src, mag FROM obs WHERE mag > 22 ALLOW FILTERING")
    assert sorted(r.mag for r in rows) == [22.5, 23.0, 23.0, 23.5]


def test_aggregates(s):
    row = s.execute("SELECT count(*), min(mag), max(mag), sum(epoch), avg(mag) FROM obs WHERE src = 1").one()
    assert row[0] == 12 and row[1] == 10.0 and row[2] == 13.5 and row[3] == 18
    assert row[4] == pytest.approx((sum(10 + e for e in range(4)) * 3 + 0.5 * 4) / 12)


def test_writetime_ttl_and_static(s):
    s.execute("INSERT INTO obs (src, band, epoch, note) VALUES (9, 'G', 0, 'n') USING TTL 5000 AND TIMESTAMP 1700000000000000")
    row = s.execute("SELECT writetime(note), ttl(note) FROM obs WHERE src = 9 AND band = 'G' AND epoch = 0").one()
    assert row[0] == 1700000000000000 and 4900 < row[1] <= 5000
    s.execute("UPDATE obs SET cat = 'gaia' WHERE src = 9")
    s.execute("INSERT INTO obs (src, band, epoch) VALUES (9, 'RP', 1)")
    assert {r.cat for r in s.execute("SELECT cat FROM obs WHERE src = 9")} == {"gaia"}


def test_json(s):
    s.execute("CREATE TABLE IF NOT EXISTS js (k int PRIMARY KEY, tags set<text>, pos tuple<double, double>, d decimal)")
    s.execute("""INSERT INTO js JSON '{"k": 1, "tags": ["b", "a"], "pos": [1.5, -2.25], "d": 1.0000000000000000001}'""")
    doc = s.execute("SELECT JSON k, tags, pos, d FROM js WHERE k = 1").one()[0]
    assert doc == '{"k": 1, "tags": ["a", "b"], "pos": [1.5, -2.25], "d": 1.0000000000000000001}'
    row = s.execute("SELECT tags, pos FROM js WHERE k = 1").one()
    assert sorted(row.tags) == ["a", "b"] and row.pos == (1.5, -2.25)
    with pytest.raises(InvalidRequest, match="unrecognized column"):
        s.execute("""INSERT INTO js JSON '{"k": 2, "nope": 1}'""")


def test_batches_and_token(s):
    s.execute("BEGIN BATCH INSERT INTO obs (src, band, epoch, mag) VALUES (20, 'G', 0, 1.0); "
              "UPDATE obs SET mag = 2.0 WHERE src = 20 AND band = 'G' AND epoch = 1; APPLY BATCH")
    assert s.execute("SELECT count(*) FROM obs WHERE src = 20").one()[0] == 2
    t = s.execute("SELECT token(src) FROM obs WHERE src = 20 LIMIT 1").one()[0]
    assert [r.src for r in s.execute("SELECT src FROM obs WHERE token(src) = %s", (t,))] == [20, 20]


def test_alter_and_truncate(s):
    s.execute("CREATE TABLE IF NOT EXISTS alt (k int PRIMARY KEY, a text)")
    s.execute("INSERT INTO alt (k, a) VALUES (1, 'x')")
    s.execute("ALTER TABLE alt ADD b int")
    s.execute("INSERT INTO alt (k, a, b) VALUES (2, 'y', 5)")
    assert {(r.k, r.b) for r in s.execute("SELECT k, b FROM alt")} == {(1, None), (2, 5)}
    s.execute("ALTER TABLE alt DROP a")
    assert s.execute("SELECT * FROM alt WHERE k = 2").one()._fields == ("k", "b")
    s.execute("ALTER TABLE alt WITH gc_grace_seconds = 3600")
    row = s.execute("SELECT gc_grace_seconds FROM system_schema.tables WHERE keyspace_name = 'Surface' "
                    "AND table_name = 'alt'").one()
    assert row.gc_grace_seconds == 3600
    s.execute("TRUNCATE alt")
    assert list(s.execute("SELECT * FROM alt")) == []


def test_schema_version_agrees_after_ddl(s):
    rs = s.execute("CREATE TABLE IF NOT EXISTS agreed (k int PRIMARY KEY)")
    assert rs.response_future.is_schema_agreed
    local = s.execute("SELECT schema_version FROM system.local").one().schema_version
    assert s.cluster.control_connection.wait_for_schema_agreement()
    s.execute("DROP TABLE agreed")
    assert s.execute("SELECT schema_version FROM system.local").one().schema_version != local


def test_lightweight_transactions(s):
    from cassandra.concurrent import execute_concurrent_with_args
    s.execute("CREATE TABLE IF NOT EXISTS lwt (k int PRIMARY KEY, owner text, n int)")
    s.execute("TRUNCATE lwt")
    rs = s.execute("INSERT INTO lwt (k, owner, n) VALUES (1, 'alice', 0) IF NOT EXISTS")
    assert rs.was_applied
    rs = s.execute("INSERT INTO lwt (k, owner, n) VALUES (1, 'bob', 0) IF NOT EXISTS")
    assert not rs.was_applied and rs.one().owner == "alice"
    cas = s.prepare("UPDATE lwt SET n = ? WHERE k = ? IF n = ?")
    assert s.execute(cas, (1, 1, 0)).was_applied
    rs = s.execute(cas, (2, 1, 0))
    assert not rs.was_applied and rs.one().n == 1
    assert not s.execute("DELETE FROM lwt WHERE k = 2 IF EXISTS").was_applied
    assert s.execute("UPDATE lwt SET owner = 'carol' WHERE k = 1 IF owner IN ('alice', 'bob') AND n > 0").was_applied
    # 64 clients race to claim the same row: exactly one wins, and the row is the winner's.
    claim = s.prepare("INSERT INTO lwt (k, owner, n) VALUES (2, ?, 0) IF NOT EXISTS")
    results = execute_concurrent_with_args(s, claim, [("c%d" % i,) for i in range(64)], concurrency=64)
    winners = [i for i, (ok, rs) in enumerate(results) if ok and rs.was_applied]
    assert len(winners) == 1
    assert s.execute("SELECT owner FROM lwt WHERE k = 2").one().owner == "c%d" % winners[0]
    assert s.execute("DELETE FROM lwt WHERE k = 2 IF EXISTS").was_applied
    # A conditional batch on one partition: all or nothing.
    s.execute("CREATE TABLE IF NOT EXISTS lwt_rows (p int, c int, v text, PRIMARY KEY (p, c))")
    s.execute("INSERT INTO lwt_rows (p, c, v) VALUES (1, 1, 'a')")
    rs = s.execute("BEGIN BATCH INSERT INTO lwt_rows (p, c, v) VALUES (1, 2, 'b') IF NOT EXISTS; "
                   "UPDATE lwt_rows SET v = 'x' WHERE p = 1 AND c = 1 IF v = 'zz'; APPLY BATCH")
    assert not rs.was_applied
    assert [r.c for r in s.execute("SELECT c FROM lwt_rows WHERE p = 1")] == [1]
    rs = s.execute("BEGIN BATCH INSERT INTO lwt_rows (p, c, v) VALUES (1, 2, 'b') IF NOT EXISTS; "
                   "UPDATE lwt_rows SET v = 'x' WHERE p = 1 AND c = 1 IF v = 'a'; APPLY BATCH")
    assert rs.was_applied
    assert [r.v for r in s.execute("SELECT v FROM lwt_rows WHERE p = 1")] == ["x", "b"]
    with pytest.raises(InvalidRequest, match="multiple partitions"):
        s.execute("BEGIN BATCH INSERT INTO lwt_rows (p, c) VALUES (2, 1) IF NOT EXISTS; "
                  "INSERT INTO lwt_rows (p, c) VALUES (3, 1); APPLY BATCH")


def test_counters(s):
    s.execute("CREATE TABLE IF NOT EXISTS cnt (k int PRIMARY KEY, n counter, m counter)")
    s.execute("TRUNCATE cnt")
    s.execute("UPDATE cnt SET n = n + 1 WHERE k = 1")
    row = s.execute("SELECT n, m FROM cnt WHERE k = 1").one()
    assert row.n == 1 and row.m is None
    inc = s.prepare("UPDATE cnt SET n = n + ?, m = m - ? WHERE k = ?")
    for _ in range(5):
        s.execute(inc, (10, 2, 1))
    row = s.execute("SELECT n, m FROM cnt WHERE k = 1").one()
    assert (row.n, row.m) == (51, -10)
    b = BatchStatement(batch_type=BatchType.COUNTER)
    b.add(inc, (1, 1, 1))
    b.add(inc, (1, 1, 2))
    s.execute(b)
    assert s.execute("SELECT n FROM cnt WHERE k = 2").one().n == 1
    s.execute("BEGIN COUNTER BATCH UPDATE cnt SET n = n + 100 WHERE k = 2; APPLY BATCH")
    assert s.execute("SELECT n FROM cnt WHERE k = 2").one().n == 101
    with pytest.raises(InvalidRequest, match="INSERT statements are not allowed on counter tables"):
        s.execute("INSERT INTO cnt (k, n) VALUES (3, 1)")
    with pytest.raises(InvalidRequest, match="Cannot mix counter and non counter columns"):
        s.execute("CREATE TABLE cntmixed (k int PRIMARY KEY, n counter, v int)")
    with pytest.raises(InvalidRequest, match="Counter and non-counter mutations"):
        s.execute("BEGIN COUNTER BATCH UPDATE cnt SET n = n + 1 WHERE k = 1; "
                  "INSERT INTO obs (src, band, epoch) VALUES (9, 'G', 0); APPLY BATCH")
    types = {r.column_name: r.type for r in s.execute(
        "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = 'Surface' AND table_name = 'cnt'")}
    assert types == {"k": "int", "n": "counter", "m": "counter"}


def test_insert_json_bind_marker(s):
    s.execute("CREATE TABLE IF NOT EXISTS jsm (k int PRIMARY KEY, v text)")
    prepared = s.prepare("INSERT INTO jsm JSON ?")
    s.execute(prepared, ['{"k": 1, "v": "x"}'])
    s.execute("INSERT INTO jsm JSON %s", ['{"k": 2, "v": "it\'s"}'])
    assert s.execute("SELECT v FROM jsm WHERE k = 1").one().v == "x"
    assert s.execute("SELECT v FROM jsm WHERE k = 2").one().v == "it's"
    with pytest.raises(InvalidRequest, match="unrecognized column"):
        s.execute(prepared, ['{"k": 3, "nope": 1}'])


def test_not_supported_forms_answer_invalid(s):
    with pytest.raises(InvalidRequest):
        s.execute("SELECT * FROM system_virtual_schema.keyspaces")


def test_system_tables_drivers_read(s):
    local = s.execute("SELECT * FROM system.local WHERE key = 'local'").one()
    assert local.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert local.release_version.split(".")[0] >= "4" and local.tokens and local.host_id
    assert list(s.execute("SELECT * FROM system.peers")) == []
    assert list(s.execute("SELECT * FROM system.peers_v2")) == []
    kinds = {r.kind for r in s.execute("SELECT kind FROM system_schema.columns WHERE keyspace_name = 'Surface' "
                                       "AND table_name = 'obs'")}
    assert kinds == {"partition_key", "clustering", "regular", "static"}
    flags = s.execute("SELECT flags FROM system_schema.tables WHERE keyspace_name = 'Surface' AND table_name = 'obs'").one()
    assert set(flags.flags) == {"compound"}
    est = list(s.execute("SELECT range_start, range_end, partitions_count FROM system.size_estimates "
                         "WHERE keyspace_name = 'Surface' AND table_name = 'obs'"))
    assert est and all(isinstance(r.range_start, str) for r in est)
    for t in ("keyspaces", "tables", "columns", "types", "functions", "aggregates", "triggers", "indexes", "views"):
        s.execute("SELECT * FROM system_schema.%s WHERE keyspace_name = 'system'" % t)


def test_ddl_forms(s):
    s.execute("CREATE KEYSPACE IF NOT EXISTS nts WITH replication = {'class': 'NetworkTopologyStrategy', "
              "'datacenter1': 1} AND durable_writes = false")
    ks = s.execute("SELECT replication, durable_writes FROM system_schema.keyspaces WHERE keyspace_name = 'nts'").one()
    assert ks.replication["class"].endswith("NetworkTopologyStrategy") and ks.replication["datacenter1"] == "1"
    assert ks.durable_writes is False
    s.execute("ALTER KEYSPACE nts WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute("CREATE TABLE IF NOT EXISTS nts.opts (a int, b text, c timeuuid, v frozen<tuple<int, text>>, "
              "PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND default_time_to_live = 600 "
              "AND gc_grace_seconds = 100 AND bloom_filter_fp_chance = 0.05 "
              "AND compression = {'class': 'SnappyCompressor'} "
              "AND compaction = {'class': 'LeveledCompactionStrategy'}")
    t = s.execute("SELECT default_time_to_live, gc_grace_seconds, bloom_filter_fp_chance, compression, compaction "
                  "FROM system_schema.tables WHERE keyspace_name = 'nts' AND table_name = 'opts'").one()
    assert (t.default_time_to_live, t.gc_grace_seconds, t.bloom_filter_fp_chance) == (600, 100, 0.05)
    assert "Snappy" in t.compression["class"] and "Leveled" in t.compaction["class"]
    named = s.prepare("INSERT INTO nts.opts (a, b, c, v) VALUES (:a, :b, now(), :v)")
    s.execute(named, {"a": 1, "b": "x", "v": (7, "seven")})
    row = s.execute("SELECT v, ttl(v) FROM nts.opts WHERE a = 1 AND b = 'x'").one()
    assert row.v == (7, "seven") and 0 < row[1] <= 600
    s.execute("BEGIN LOGGED BATCH INSERT INTO nts.opts (a, b, c) VALUES (2, 'y', now()); "
              "INSERT INTO nts.opts (a, b, c) VALUES (2, 'y', now()); APPLY BATCH")
    assert s.execute("SELECT count(*) FROM nts.opts WHERE a = 2 AND b = 'y'").one()[0] == 2
    cs = [r.c for r in s.execute("SELECT c FROM nts.opts WHERE a = 2 AND b = 'y'")]
    s.execute("DELETE FROM nts.opts WHERE a = 2 AND b = 'y' AND c >= %s", (cs[-1],))
    assert s.execute("SELECT count(*) FROM nts.opts WHERE a = 2 AND b = 'y'").one()[0] == 0
    s.execute("DROP TABLE nts.opts")
    s.execute("DROP KEYSPACE nts")
    assert s.execute("SELECT * FROM system_schema.keyspaces WHERE keyspace_name = 'nts'").one() is None
