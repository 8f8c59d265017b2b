"""The real DataStax Python driver (cassandra-driver from PyPI) against `hyades server`."""
import uuid

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.cluster import Cluster
from cassandra.metadata import Murmur3Token
from cassandra.protocol import SyntaxException
from cassandra.query import SimpleStatement


def connect(server, **kw):
    # No protocol_version: the driver starts at its newest (v5), gets the version error
    # and negotiates down to v4.
    cluster = Cluster([server.host], port=server.port, connect_timeout=20, **kw)
    return cluster, cluster.connect()


@pytest.fixture(scope="module")
def session(server):
    cluster, s = connect(server)
    s.execute("CREATE KEYSPACE IF NOT EXISTS interop WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.set_keyspace("interop")
    yield s
    cluster.shutdown()


def test_negotiates_v4(server, session):
    assert session.cluster.protocol_version == 4
    row = session.execute("SELECT cluster_name, release_version FROM system.local").one()
    assert row.cluster_name == "Test Cluster"


def test_create_insert_select_prepared(session):
    session.execute("CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text, n bigint)")
    insert = session.prepare("INSERT INTO kv (k, v, n) VALUES (?, ?, ?)")
    for i in range(50):
        session.execute(insert, (i, "v%d" % i, i * 1000))
    select = session.prepare("SELECT v, n FROM kv WHERE k = ?")
    row = session.execute(select, (7,)).one()
    assert row.v == "v7" and row.n == 7000
    # Paging through the driver (fetch_size 10 over 50 rows).
    rows = list(session.execute(SimpleStatement("SELECT k FROM kv", fetch_size=10)))
    assert sorted(r.k for r in rows) == list(range(50))


def test_token_matches_driver_murmur3(session):
    session.execute("CREATE TABLE IF NOT EXISTS tok (k text PRIMARY KEY)")
    keys = ["a", "gaia", "Gaia DR3 4295806720", str(uuid.uuid4())]
    for k in keys:
        session.execute("INSERT INTO tok (k) VALUES (%s)", (k,))
    for k in keys:
        row = session.execute("SELECT token(k) FROM tok WHERE k = %s", (k,)).one()
        assert row[0] == Murmur3Token.hash_fn(k.encode("utf-8")), k
    session.execute("CREATE TABLE IF NOT EXISTS tok_int (k int PRIMARY KEY)")
    session.execute("INSERT INTO tok_int (k) VALUES (7)")
    row = session.execute("SELECT token(k) FROM tok_int WHERE k = 7").one()
    assert row[0] == Murmur3Token.hash_fn((7).to_bytes(4, "big", signed=True))


def test_lz4_compression(server):
    pytest.importorskip("lz4")
    cluster, s = connect(server, compression="lz4")
    try:
        rows = s.execute("SELECT keyspace_name FROM system_schema.keyspaces")
        assert "system" in {r.keyspace_name for r in rows}
        big = "x" * 20000
        s.execute("CREATE TABLE IF NOT EXISTS interop.blobby (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO interop.blobby (k, v) VALUES (1, %s)", (big,))
        assert s.execute("SELECT v FROM interop.blobby WHERE k = 1").one().v == big
    finally:
        cluster.shutdown()


def test_error_classes(session):
    with pytest.raises(SyntaxException):
        session.execute("SELEKT * FROM kv")
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM no_such_table")
    with pytest.raises(AlreadyExists):
        session.execute("CREATE KEYSPACE interop WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    with pytest.raises(AlreadyExists):
        session.execute("CREATE TABLE kv (k int PRIMARY KEY)")


def test_schema_metadata_refresh(session):
    session.execute("CREATE TABLE IF NOT EXISTS meta_t (p int, c int, v double, PRIMARY KEY (p, c))")
    session.cluster.refresh_schema_metadata()
    table = session.cluster.metadata.keyspaces["interop"].tables["meta_t"]
    assert [c.name for c in table.partition_key] == ["p"]
    assert [c.name for c in table.clustering_key] == ["c"]


def test_concurrent_and_batch(session):
    from cassandra.concurrent import execute_concurrent_with_args
    from cassandra.query import BatchStatement, BatchType
    session.execute("CREATE TABLE IF NOT EXISTS conc (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO conc (p, c, v) VALUES (?, ?, ?)")
    results = execute_concurrent_with_args(session, insert, [(i % 7, i, "v%d" % i) for i in range(500)],
                                           concurrency=64)
    assert all(ok for ok, _ in results)
    batch = BatchStatement(batch_type=BatchType.UNLOGGED)
    for c in range(10):
        batch.add(insert, (100, c, "b%d" % c))
    session.execute(batch)
    assert session.execute("SELECT count(*) FROM conc WHERE p = 100").one()[0] == 10
    total = sum(session.execute("SELECT count(*) FROM conc WHERE p = %s", (p,)).one()[0] for p in range(7))
    assert total == 500
