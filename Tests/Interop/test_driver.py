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


def test_snappy_compression(server):
    pytest.importorskip("snappy")
    cluster, s = connect(server, compression="snappy")
    try:
        big = "gaia " * 5000
        s.execute("CREATE TABLE IF NOT EXISTS interop.snappy_t (k int PRIMARY KEY, v text)")
        s.execute("INSERT INTO interop.snappy_t (k, v) VALUES (1, %s)", (big,))
        assert s.execute("SELECT v FROM interop.snappy_t WHERE k = 1").one().v == big
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


def test_token_map_has_the_nodes_tokens(server, session):
    from cassandra.metadata import Murmur3Token
    local = session.execute("SELECT tokens FROM system.local").one()
    node_tokens = {int(t) for t in local.tokens}
    assert len(node_tokens) > 0
    metadata = session.cluster.metadata
    token_map = metadata.token_map
    assert token_map is not None, "the driver built no token map"
    assert {t.value for t in token_map.ring} == node_tokens
    host = metadata.get_host(server.host, server.port) or next(iter(metadata.all_hosts()))
    assert {t.value for t, h in token_map.token_to_host_owner.items() if h == host} == node_tokens
    for key in (b"gaia", b"\x00\x01", b"4295806720"):
        assert token_map.get_replicas("interop", Murmur3Token.from_key(key)) == [host]
    # The driver's token-aware routing agrees with the node on the owner of a prepared key.
    session.execute("CREATE TABLE IF NOT EXISTS routed (k text PRIMARY KEY, v int)")
    bound = session.prepare("SELECT v FROM routed WHERE k = ?").bind(("gaia",))
    assert bound.routing_key == b"gaia"
    assert metadata.get_replicas("interop", bound.routing_key) == [host]


def test_pages_through_100k_rows(session):
    from cassandra.concurrent import execute_concurrent_with_args
    session.execute("CREATE TABLE IF NOT EXISTS hundredk (p int, c int, v bigint, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO hundredk (p, c, v) VALUES (?, ?, ?)")
    n = 100_000
    results = execute_concurrent_with_args(session, insert, ((i % 1000, i // 1000, i) for i in range(n)),
                                           concurrency=100, raise_on_first_error=True)
    assert sum(1 for ok, _ in results if ok) == n
    result = session.execute(SimpleStatement("SELECT p, c, v FROM hundredk", fetch_size=5000))
    seen = set()
    page_sizes = []
    while True:
        page = result.current_rows
        page_sizes.append(len(page))
        for row in page:
            assert row.v == row.c * 1000 + row.p
            seen.add(row.v)
        if not result.has_more_pages:
            break
        result.fetch_next_page()
    assert sum(page_sizes) == n and len(seen) == n, "every row exactly once"
    assert max(page_sizes) <= 5000 and len(page_sizes) >= 20, page_sizes
    assert session.execute("SELECT count(*) FROM hundredk").one()[0] == n


def _spark_scan(session, table, columns, pk, ranges, fetch_size=1000):
    """The Spark Cassandra Connector's query: prepared, bigint binds, paged, LOCAL_ONE."""
    from cassandra import ConsistencyLevel
    cols = ", ".join('"%s"' % c for c in columns)
    tok = "token(%s)" % ", ".join('"%s"' % c for c in pk)
    stmt = session.prepare('SELECT %s FROM "interop"."%s" WHERE %s > ? AND %s <= ? ALLOW FILTERING'
                           % (cols, table, tok, tok))
    stmt.consistency_level = ConsistencyLevel.LOCAL_ONE
    stmt.fetch_size = fetch_size
    rows = []
    for lo, hi in ranges:
        rows.extend(session.execute(stmt, (lo, hi)))
    return rows


def test_spark_connector_token_range_scan(session):
    from cassandra.concurrent import execute_concurrent_with_args
    from cassandra.metadata import Murmur3Token
    session.execute('CREATE TABLE IF NOT EXISTS spark (source_id bigint, part text, ra double, dec double, '
                    'PRIMARY KEY ((source_id, part)))')
    insert = session.prepare("INSERT INTO spark (source_id, part, ra, dec) VALUES (?, ?, ?, ?)")
    n = 3000
    execute_concurrent_with_args(session, insert, [(i, "p%d" % (i % 3), i * 0.1, -i * 0.1) for i in range(n)],
                                 concurrency=64, raise_on_first_error=True)
    # The ring split at the node's own tokens, as the connector splits it, plus the
    # wrap-around range (last token, Long.MAX] and [Long.MIN, first token].
    ring = sorted(t.value for t in session.cluster.metadata.token_map.ring)
    bounds = [-(2 ** 63)] + ring + [2 ** 63 - 1]
    ranges = list(zip(bounds, bounds[1:]))
    rows = _spark_scan(session, "spark", ["source_id", "part", "ra", "dec"], ["source_id", "part"], ranges)
    keys = [(r.source_id, r.part) for r in rows]
    assert len(keys) == n and len(set(keys)) == n, "every row once across the split ranges"
    # Each row came from the range holding the driver's own token of its composite key.
    from cassandra.cqltypes import BytesType  # noqa: F401 (driver import check)
    import struct

    def token(sid, part):
        comp = b""
        for b in (struct.pack(">q", sid), part.encode()):
            comp += struct.pack(">H", len(b)) + b + b"\x00"
        return Murmur3Token.hash_fn(comp)

    one = _spark_scan(session, "spark", ["source_id", "part"], ["source_id", "part"], [ranges[len(ranges) // 2]])
    lo, hi = ranges[len(ranges) // 2]
    assert all(lo < token(r.source_id, r.part) <= hi for r in one)
    # The `>=` and single-bound forms.
    t_min = min(token(sid, "p%d" % (sid % 3)) for sid in range(n))
    ge = session.prepare('SELECT "source_id" FROM "interop"."spark" WHERE token("source_id","part") >= ? '
                         'AND token("source_id","part") <= ?')
    assert len(list(session.execute(ge, (t_min, t_min)))) == 1
    single = session.prepare('SELECT "source_id" FROM "interop"."spark" WHERE token("source_id","part") > ?')
    assert len(list(session.execute(single, (-(2 ** 63),)))) == n


def test_unprepared_after_restart(start_server):
    from cassandra.policies import ConstantReconnectionPolicy
    node = start_server("127.0.0.5")
    # reprepare_on_up off: the driver must meet UNPREPARED (0x2500) and re-prepare then.
    cluster = Cluster([node.host], port=node.port, connect_timeout=20, reprepare_on_up=False,
                      reconnection_policy=ConstantReconnectionPolicy(0.2, None))
    s = cluster.connect()
    try:
        s.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        insert = s.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)")
        select = s.prepare("SELECT v FROM ks.t WHERE k = ?")
        s.execute(insert, (1, "before"))
        node.restart()
        import time
        deadline = time.monotonic() + 60
        while True:
            try:
                s.execute("SELECT release_version FROM system.local")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # The restarted node has an empty prepared cache: both ids are unknown to it.
        s.execute(insert, (2, "after"))
        assert s.execute(select, (1,)).one().v == "before"
        assert s.execute(select, (2,)).one().v == "after"
    finally:
        cluster.shutdown()


def test_unknown_prepared_id_is_unprepared(server, session):
    """The raw answer under the driver's re-prepare: ERROR 0x2500 carrying the id."""
    from cassandra.protocol import ExecuteMessage, PreparedQueryNotFound
    from cassandra import ConsistencyLevel
    conn = session.cluster.connection_factory(server.host, port=server.port)
    try:
        msg = ExecuteMessage(query_id=b"\x01" * 16, query_params=[], consistency_level=ConsistencyLevel.ONE)
        ok, reply = conn.wait_for_response(msg, timeout=20, fail_on_error=False)
        assert not ok and isinstance(reply, PreparedQueryNotFound)
        assert reply.info == b"\x01" * 16
    finally:
        conn.close()


def test_password_authenticator(start_server):
    from cassandra import AuthenticationFailed
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import NoHostAvailable
    node = start_server("127.0.0.6", config="authenticator: PasswordAuthenticator\n")
    cluster = Cluster([node.host], port=node.port, connect_timeout=20,
                      auth_provider=PlainTextAuthProvider("cassandra", "cassandra"))
    try:
        s = cluster.connect()
        assert s.execute("SELECT cluster_name FROM system.local").one().cluster_name == "Test Cluster"
    finally:
        cluster.shutdown()
    messages = []
    for user, password in (("cassandra", "wrong"), ("nobody", "cassandra")):
        cluster = Cluster([node.host], port=node.port, connect_timeout=20,
                          auth_provider=PlainTextAuthProvider(user, password))
        try:
            with pytest.raises(NoHostAvailable) as failed:
                cluster.connect()
            (error,) = failed.value.errors.values()
            assert isinstance(error, AuthenticationFailed)
            assert "code=0100 [Bad credentials]" in str(error)
            messages.append(str(error).split("message=")[-1])
        finally:
            cluster.shutdown()
    assert messages[0] == messages[1], "a wrong user and a wrong password look alike"
    # Without credentials the driver is told the node requires authentication.
    cluster = Cluster([node.host], port=node.port, connect_timeout=20)
    try:
        with pytest.raises(NoHostAvailable) as failed:
            cluster.connect()
        assert "requires authentication" in str(failed.value)
    finally:
        cluster.shutdown()
    # The roles live hashed in the node's data directory, never in clear.
    import os
    with open(os.path.join(node.data_dir, "auth", "roles.txt")) as f:
        text = f.read()
    assert text.startswith("cassandra\ttrue\t$2b$") and "\tcassandra\t" not in text


def test_schema_events_reach_other_clients(server, session):
    import time
    other = Cluster([server.host], port=server.port, connect_timeout=20, schema_event_refresh_window=0.1)
    other.connect()
    try:
        rs = session.execute("CREATE TABLE IF NOT EXISTS evented (k int PRIMARY KEY, v text)")
        assert rs.response_future.is_schema_agreed, "schema_version agreement"
        deadline = time.monotonic() + 20
        while "evented" not in other.metadata.keyspaces["interop"].tables:
            assert time.monotonic() < deadline, "the SCHEMA_CHANGE event never refreshed the other client"
            time.sleep(0.1)
        session.execute("ALTER TABLE evented ADD extra double")
        while "extra" not in other.metadata.keyspaces["interop"].tables["evented"].columns:
            assert time.monotonic() < deadline, "ALTER TABLE's event never refreshed the other client"
            time.sleep(0.1)
        session.execute("DROP TABLE evented")
        while "evented" in other.metadata.keyspaces["interop"].tables:
            assert time.monotonic() < deadline, "DROP TABLE's event never refreshed the other client"
            time.sleep(0.1)
    finally:
        other.shutdown()


def test_role_statements(start_server):
    """Superusers manage roles with CQL; a role may change its own password only."""
    from cassandra import Unauthorized
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import NoHostAvailable
    node = start_server("127.0.0.13", config="authenticator: PasswordAuthenticator\n")

    def login(user, password):
        c = Cluster([node.host], port=node.port, connect_timeout=20,
                    auth_provider=PlainTextAuthProvider(user, password))
        return c, c.connect()

    admin_cluster, admin = login("cassandra", "cassandra")
    try:
        admin.execute("CREATE ROLE alice WITH PASSWORD = 'wonder' AND LOGIN = true")
        with pytest.raises(InvalidRequest, match="already exists"):
            admin.execute("CREATE ROLE alice WITH PASSWORD = 'x'")
        roles = {r.role: r.super for r in admin.execute("LIST ROLES")}
        assert roles == {"alice": False, "cassandra": True}
        cluster, alice = login("alice", "wonder")
        try:
            with pytest.raises(Unauthorized):
                alice.execute("CREATE ROLE mallory WITH PASSWORD = 'x'")
            with pytest.raises(Unauthorized):
                alice.execute("ALTER ROLE cassandra WITH PASSWORD = 'pwned'")
            with pytest.raises(Unauthorized):
                alice.execute("ALTER ROLE alice WITH SUPERUSER = true")
            alice.execute("ALTER ROLE alice WITH PASSWORD = 'looking-glass'")
        finally:
            cluster.shutdown()
        with pytest.raises(NoHostAvailable):
            login("alice", "wonder")
        cluster, _ = login("alice", "looking-glass")
        cluster.shutdown()
        admin.execute("DROP ROLE alice")
        with pytest.raises(NoHostAvailable):
            login("alice", "looking-glass")
        with pytest.raises(InvalidRequest, match="current login"):
            admin.execute("DROP ROLE cassandra")
    finally:
        admin_cluster.shutdown()


def test_query_trace(session):
    """Tracing flag 0x02: the response carries a session id the driver resolves through
    system_traces.sessions / events."""
    session.execute("CREATE TABLE IF NOT EXISTS traced (k int PRIMARY KEY)")
    session.execute("INSERT INTO traced (k) VALUES (7)")
    future = session.execute_async("SELECT k FROM traced WHERE k = 7", trace=True)
    assert future.result().one().k == 7
    trace = future.get_query_trace(max_wait=10)
    assert trace.request_type == "Execute CQL3 query"
    assert trace.parameters["query"] == "SELECT k FROM traced WHERE k = 7"
    assert trace.parameters["consistency_level"] == "LOCAL_ONE"
    assert trace.duration.total_seconds() > 0 and len(trace.events) >= 2
    assert trace.events[-1].description == "Request complete"
    row = session.execute("SELECT request, duration FROM system_traces.sessions WHERE session_id = %s",
                          (trace.trace_id,)).one()
    assert row.request == "Execute CQL3 query" and row.duration > 0
    # A failed request is traced too, with what went wrong.
    future = session.execute_async("SELECT * FROM no_such_table", trace=True)
    with pytest.raises(InvalidRequest):
        future.result()
