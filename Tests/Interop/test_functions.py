"""Issue 10, items 2, 3 and 8 through the real cassandra-driver: UDT literals with explicit
nulls, duration equality in filters, and the native functions (time functions, blob
conversions, CAST, arithmetic, token() of terms) in selectors, WHERE terms and written
values, with Cassandra's result column names."""
import datetime
import decimal
import ipaddress
import uuid

import pytest
from cassandra import InvalidRequest
from cassandra.protocol import SyntaxException
from cassandra.cluster import Cluster
from cassandra.util import Date, Duration, Time, uuid_from_time, datetime_from_uuid1


@pytest.fixture(scope="module")
def s(server):
    cluster = Cluster([server.host], port=server.port, connect_timeout=20)
    session = cluster.connect()
    session.execute("CREATE KEYSPACE IF NOT EXISTS functions WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("USE functions")
    yield session
    cluster.shutdown()


def names(rs):
    return list(rs.column_names)


# Item 2: UDT literals with explicit nulls.

def test_udt_literal_with_explicit_nulls(s):
    s.execute("CREATE TYPE IF NOT EXISTS pair (a int, b text)")
    s.execute("CREATE TABLE IF NOT EXISTS udt (k int PRIMARY KEY, f frozen<pair>)")
    s.execute("INSERT INTO udt (k, f) VALUES (1, {a: null, b: null})")
    s.execute("INSERT INTO udt (k, f) VALUES (2, {a: 1})")
    s.execute("INSERT INTO udt (k, f) VALUES (3, {b: 'x'})")
    s.execute(s.prepare("INSERT INTO udt (k, f) VALUES (4, {a: ?, b: ?})"), (None, None))
    f1 = s.execute("SELECT f FROM udt WHERE k = 1").one().f
    assert f1 is not None and f1.a is None and f1.b is None
    f2 = s.execute("SELECT f FROM udt WHERE k = 2").one().f
    assert f2.a == 1 and f2.b is None
    f3 = s.execute("SELECT f FROM udt WHERE k = 3").one().f
    assert f3.a is None and f3.b == "x"
    f4 = s.execute("SELECT f FROM udt WHERE k = 4").one().f
    assert f4 is not None and f4.a is None and f4.b is None
    # Both fields are serialized as null (not an empty value): the literal and the bound
    # value store the same bytes, and a filter on the literal finds both.
    rows = s.execute("SELECT k FROM udt WHERE f = {a: null, b: null} ALLOW FILTERING")
    assert sorted(r.k for r in rows) == [1, 4]
    assert s.execute("SELECT toJson(f) FROM udt WHERE k = 1").one()[0] == '{"a": null, "b": null}'
    # A field the literal leaves out is serialized as null too (Cassandra's UserTypes.Literal),
    # so the literal equals the same value bound by the driver.
    assert [r.k for r in s.execute("SELECT k FROM udt WHERE f = {a: 1} ALLOW FILTERING")] == [2]

    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    bound = s.prepare("SELECT k FROM udt WHERE f = ? ALLOW FILTERING")
    assert [r.k for r in s.execute(bound, (Pair(1, None),))] == [2]
    assert sorted(r.k for r in s.execute(bound, (Pair(None, None),))) == [1, 4]


# Item 3: duration equality in filters.

def test_duration_equality_filters(s):
    s.execute("CREATE TABLE IF NOT EXISTS dur (k int PRIMARY KEY, d duration)")
    s.execute("INSERT INTO dur (k, d) VALUES (1, 1h30m)")
    s.execute("INSERT INTO dur (k, d) VALUES (2, PT1H30M)")
    s.execute("INSERT INTO dur (k, d) VALUES (3, 2d)")
    s.execute("INSERT INTO dur (k, d) VALUES (4, 1mo2d3s)")
    hour_and_half = Duration(0, 0, 5400 * 10**9)

    def keys(query, params=None):
        return sorted(r.k for r in s.execute(query, params))

    assert keys("SELECT k FROM dur WHERE d = 1h30m ALLOW FILTERING") == [1, 2]
    assert keys("SELECT k FROM dur WHERE d = PT1H30M ALLOW FILTERING") == [1, 2]
    assert keys("SELECT k FROM dur WHERE d = '90m' ALLOW FILTERING") == [1, 2]
    assert keys("SELECT k FROM dur WHERE d = P1M2DT3S ALLOW FILTERING") == [4]
    assert keys("SELECT k FROM dur WHERE d = 1mo2d ALLOW FILTERING") == []
    assert keys("SELECT k FROM dur WHERE d = 1mo2d3s ALLOW FILTERING") == [4]
    assert keys("SELECT k FROM dur WHERE d = %s ALLOW FILTERING", (hour_and_half,)) == [1, 2]
    prepared = s.prepare("SELECT k FROM dur WHERE d = ? ALLOW FILTERING")
    assert keys(prepared, (hour_and_half,)) == [1, 2]
    assert keys(prepared, (Duration(0, 2, 0),)) == [3]
    assert keys("SELECT k FROM dur WHERE d != 2d ALLOW FILTERING") == [1, 2, 4]
    assert keys("SELECT k FROM dur WHERE d IN (2d, 1h30m) ALLOW FILTERING") == [1, 2, 3]
    with pytest.raises(InvalidRequest, match="Slice restrictions are not supported on duration columns"):
        s.execute("SELECT k FROM dur WHERE d > 1h ALLOW FILTERING")


# Item 8: functions.

def test_time_functions_in_values_and_selectors(s):
    s.execute("CREATE TABLE IF NOT EXISTS ev (k int, t timeuuid, ts timestamp, d date, tm time, "
              "u timeuuid, b blob, PRIMARY KEY (k, t))")
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(seconds=5)
    s.execute("INSERT INTO ev (k, t, ts, d, tm, u, b) VALUES "
              "(0, now(), toTimestamp(now()), toDate(now()), currentTime(), currentTimeUUID(), textAsBlob('x'))")
    row = s.execute("SELECT t, ts, d, u, b FROM ev WHERE k = 0").one()
    assert row.t.version == 1 and row.u.version == 1 and row.t != row.u  # each now() is new
    assert before <= row.ts <= before + datetime.timedelta(seconds=60)
    assert row.d == Date(row.ts.date())
    assert row.b == b"x"
    rs = s.execute("SELECT toUnixTimestamp(ts), dateOf(t), unixTimestampOf(t), toDate(ts), "
                   "toTimestamp(d), blobAsText(b), toTimestamp(t) FROM ev WHERE k = 0")
    assert names(rs) == ["system.tounixtimestamp(ts)", "system.dateof(t)", "system.unixtimestampof(t)",
                         "system.todate(ts)", "system.totimestamp(d)", "system.blobastext(b)",
                         "system.totimestamp(t)"]
    r = rs.one()
    millis = int((row.ts - datetime.datetime(1970, 1, 1)).total_seconds() * 1000)
    assert r[0] == millis
    assert abs((r[1] - datetime_from_uuid1(row.t).replace(tzinfo=None)).total_seconds()) < 0.002
    assert r[2] == int(round((r[1] - datetime.datetime(1970, 1, 1)).total_seconds() * 1000))
    assert r[3] == row.d
    assert r[4] == datetime.datetime.combine(row.ts.date(), datetime.time())
    assert r[5] == "x"
    assert r[6] == r[1]
    rs = s.execute("SELECT now(), currentTimestamp(), currentDate(), currentTime(), currentTimeUUID() FROM ev WHERE k = 0")
    assert names(rs) == ["system.now()", "system.currenttimestamp()", "system.currentdate()",
                         "system.currenttime()", "system.currenttimeuuid()"]
    r = rs.one()
    assert r[0].version == 1 and isinstance(r[1], datetime.datetime) and isinstance(r[2], Date)
    assert isinstance(r[3], Time)
    # currentTimestamp() - 1d in a filter: the row written just now is newer.
    assert len(list(s.execute("SELECT k FROM ev WHERE ts > currentTimestamp() - 1d ALLOW FILTERING"))) == 1
    assert len(list(s.execute("SELECT k FROM ev WHERE ts > currentTimestamp() + 1h ALLOW FILTERING"))) == 0


def test_min_and_max_timeuuid_in_where(s):
    s.execute("CREATE TABLE IF NOT EXISTS tl (k int, t timeuuid, v int, PRIMARY KEY (k, t))")
    day = datetime.datetime(2013, 1, 1)
    insert = s.prepare("INSERT INTO tl (k, t, v) VALUES (0, ?, ?)")
    for hours in (-1, 0, 5, 23, 24, 30):
        s.execute(insert, (uuid_from_time(day + datetime.timedelta(hours=hours)), hours))

    def values(query, params=None):
        return [r.v for r in s.execute(query, params)]

    assert values("SELECT v FROM tl WHERE k = 0 AND t > maxTimeuuid('2013-01-01 00:00+0000') "
                  "AND t < minTimeuuid('2013-01-02 00:00+0000')") == [5, 23]
    assert values("SELECT v FROM tl WHERE k = 0 AND t >= minTimeuuid('2013-01-01 00:00+0000') "
                  "AND t <= maxTimeuuid('2013-01-02 00:00+0000')") == [0, 5, 23, 24]
    prepared = s.prepare("SELECT v FROM tl WHERE k = 0 AND t > maxTimeuuid(?) AND t < minTimeuuid(?)")
    assert values(prepared, (day, day + datetime.timedelta(days=1))) == [5, 23]
    assert values("SELECT v FROM tl WHERE k = 0 AND t > maxTimeuuid(%s)", (day + datetime.timedelta(hours=23),)) == [24, 30]
    assert values("SELECT v FROM tl WHERE t < minTimeuuid('2013-01-01 00:00+0000') ALLOW FILTERING") == [-1]
    r = s.execute("SELECT minTimeuuid('2013-01-01 00:00+0000'), maxTimeuuid('2013-01-01 00:00+0000') FROM tl WHERE k = 0 LIMIT 1").one()
    assert datetime_from_uuid1(r[0]).replace(tzinfo=None) == day
    assert r[0] < r[1] and str(r[0]).endswith("8080-808080808080") and str(r[1]).endswith("7f7f-7f7f7f7f7f7f")


def test_token_of_terms(s):
    s.execute("CREATE TABLE IF NOT EXISTS tk (k int PRIMARY KEY, v int)")
    s.execute("CREATE TABLE IF NOT EXISTS tk2 (a int, b text, v int, PRIMARY KEY ((a, b)))")
    for k in range(10):
        s.execute("INSERT INTO tk (k, v) VALUES (%s, %s)", (k, k))
        s.execute("INSERT INTO tk2 (a, b, v) VALUES (%s, %s, %s)", (k, str(k), k))
    tokens = {r.k: r[1] for r in s.execute("SELECT k, token(k) FROM tk")}
    above5 = sorted(k for k, t in tokens.items() if t > tokens[5])
    assert sorted(r.k for r in s.execute("SELECT k FROM tk WHERE token(k) > token(5)")) == above5
    assert sorted(r.k for r in s.execute("SELECT k FROM tk WHERE token(k) > token(?)".replace("?", "%s"), (5,))) == above5
    prepared = s.prepare("SELECT k FROM tk WHERE token(k) > token(?)")
    assert sorted(r.k for r in s.execute(prepared, (5,))) == above5
    assert [r.k for r in s.execute("SELECT k FROM tk WHERE token(k) = token(7)")] == [7]
    lo, hi = sorted((tokens[2], tokens[8]))
    between = sorted(k for k, t in tokens.items() if lo <= t <= hi)
    assert sorted(r.k for r in s.execute(s.prepare("SELECT k FROM tk WHERE token(k) >= token(?) AND token(k) <= token(?)"),
                                         (2, 8) if tokens[2] < tokens[8] else (8, 2))) == between
    tokens2 = {r.a: r[1] for r in s.execute("SELECT a, token(a, b) FROM tk2")}
    above = sorted(a for a, t in tokens2.items() if t > tokens2[3])
    assert sorted(r.a for r in s.execute(s.prepare("SELECT a FROM tk2 WHERE token(a, b) > token(?, ?)"), (3, "3"))) == above
    with pytest.raises(InvalidRequest):
        s.execute("SELECT k FROM tk WHERE token(k) > token(1, 2)")


BLOB_CASES = [
    ("ascii", "'abc'", "abc"),
    ("bigint", "9000000000", 9000000000),
    ("boolean", "true", True),
    ("date", "'2020-02-29'", Date(datetime.date(2020, 2, 29))),
    ("decimal", "1.25", decimal.Decimal("1.25")),
    ("double", "2.5", 2.5),
    ("duration", "1h2m", Duration(0, 0, 3720 * 10**9)),
    ("float", "1.5", 1.5),
    ("inet", "'10.1.2.3'", "10.1.2.3"),
    ("int", "-3", -3),
    ("smallint", "300", 300),
    ("text", "'héllo'", "héllo"),
    ("time", "'10:11:12'", Time(datetime.time(10, 11, 12))),
    ("timestamp", "'2020-01-02 03:04:05+0000'", datetime.datetime(2020, 1, 2, 3, 4, 5)),
    ("timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f", uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f")),
    ("tinyint", "-7", -7),
    ("uuid", "62c36092-82a1-3a00-93d1-46196ee77204", uuid.UUID("62c36092-82a1-3a00-93d1-46196ee77204")),
    ("varchar", "'v'", "v"),
    ("varint", "123456789012345678901234567890", 123456789012345678901234567890),
]


def test_blob_conversions_for_every_native_type(s):
    s.execute("CREATE TABLE IF NOT EXISTS bl (k int PRIMARY KEY, b blob, i int)")
    s.execute("INSERT INTO bl (k, b, i) VALUES (0, intAsBlob(3), 7)")
    assert s.execute("SELECT b FROM bl WHERE k = 0").one().b == b"\x00\x00\x00\x03"
    s.execute("UPDATE bl SET b = bigintAsBlob(%s) WHERE k = 1", (5,))
    assert s.execute("SELECT b FROM bl WHERE k = 1").one().b == b"\x00" * 7 + b"\x05"
    s.execute(s.prepare("UPDATE bl SET b = intAsBlob(?) WHERE k = ?"), (9, 2))
    rs = s.execute("SELECT blobAsInt(b), intAsBlob(i) FROM bl WHERE k = 2")
    assert names(rs) == ["system.blobasint(b)", "system.intasblob(i)"]
    assert rs.one()[0] == 9
    for type_name, literal, expected in BLOB_CASES:
        q = f"SELECT blobAs{type_name}({type_name}AsBlob({literal})) FROM bl WHERE k = 0"
        rs = s.execute(q)
        assert names(rs) == [f"system.blobas{type_name.lower()}(system.{type_name.lower()}asblob({literal}))"], q
        got = rs.one()[0]
        if type_name == "inet":
            got = str(ipaddress.ip_address(got))
        assert got == expected, (type_name, got)
    with pytest.raises(InvalidRequest, match="is not a valid binary representation for type int"):
        s.execute("SELECT blobAsInt(0x0102) FROM bl WHERE k = 0")
    with pytest.raises(InvalidRequest):
        s.execute("INSERT INTO bl (k, b) VALUES (3, intAsBlob('x'))")


def test_cast(s):
    s.execute("CREATE TABLE IF NOT EXISTS ca (k int PRIMARY KEY, i int, f float, d double, v varint, "
              "dec decimal, ts timestamp, dt date, t timeuuid, big bigint)")
    s.execute("INSERT INTO ca (k, i, f, d, v, dec, ts, dt, t, big) VALUES (0, 42, 1.5, -2.75, 12345678901234567890, "
              "12.345, '2020-03-04 05:06:07.089+0000', '2021-12-31', 50554d6e-29bb-11e5-b345-feff819cdc9f, 4294967297)")
    rs = s.execute("SELECT CAST(i AS text), CAST(i AS double), CAST(d AS int), CAST(f AS decimal), "
                   "CAST(v AS double), CAST(dec AS int), CAST(ts AS date), CAST(dt AS timestamp), "
                   "CAST(t AS timestamp), CAST(big AS int), CAST(i AS varint), CAST(d AS text) FROM ca WHERE k = 0")
    assert names(rs) == ["cast(i as text)", "cast(i as double)", "cast(d as int)", "cast(f as decimal)",
                         "cast(v as double)", "cast(dec as int)", "cast(ts as date)", "cast(dt as timestamp)",
                         "cast(t as timestamp)", "cast(big as int)", "cast(i as varint)", "cast(d as text)"]
    r = rs.one()
    assert r[0] == "42" and r[1] == 42.0 and r[2] == -2 and r[3] == decimal.Decimal("1.5")
    assert r[4] == 12345678901234567890.0 and r[5] == 12
    assert r[6] == Date(datetime.date(2020, 3, 4))
    assert r[7] == datetime.datetime(2021, 12, 31)
    assert r[8] == datetime_from_uuid1(uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f")).replace(tzinfo=None, microsecond=r[8].microsecond)
    assert r[9] == 1 and r[10] == 42 and r[11] == "-2.75"
    with pytest.raises(InvalidRequest, match="ts cannot be cast to int"):
        s.execute("SELECT CAST(ts AS int) FROM ca WHERE k = 0")
    assert names(s.execute("SELECT CAST(i AS int) FROM ca WHERE k = 0")) == ["i"]
    with pytest.raises(SyntaxException):
        s.execute("INSERT INTO ca (k, i) VALUES (1, CAST(2 AS int))")


def test_arithmetic(s):
    s.execute("CREATE TABLE IF NOT EXISTS ar (k int PRIMARY KEY, i int, ti tinyint, big bigint, f float, d double, "
              "dec decimal, v varint, ts timestamp, dt date)")
    s.execute("INSERT INTO ar (k, i, ti, big, f, d, dec, v, ts, dt) VALUES (1 + 1, 7, 100, 9000000000, 1.5, 0.25, "
              "1.10, 100, '2020-01-31 12:00:00+0000', '2020-01-31')")
    rs = s.execute("SELECT i + 1, i - ti, i * 2.5, i / 2, i % 4, -i, ti + ti, big * i, f + d, dec + 1, v * v, "
                   "ts + 1mo, ts - 1d12h, dt + 1mo, dt - 31d FROM ar WHERE k = 2")
    assert names(rs) == ["i + 1", "i - ti", "i * 2.5", "i / 2", "i % 4", "-i", "ti + ti", "big * i", "f + d",
                         "dec + 1", "v * v", "ts + 1mo", "ts - 1d12h", "dt + 1mo", "dt - 31d"]
    r = rs.one()
    assert r[0] == 8 and r[1] == -93 and r[2] == 17.5 and r[3] == 3 and r[4] == 3 and r[5] == -7
    assert r[6] == -56  # tinyint + tinyint stays a tinyint and wraps, as in Java
    assert r[7] == 63000000000 and r[8] == 1.75 and r[9] == decimal.Decimal("2.10") and r[10] == 10000
    assert r[11] == datetime.datetime(2020, 2, 29, 12, 0)
    assert r[12] == datetime.datetime(2020, 1, 30, 0, 0)
    assert r[13] == Date(datetime.date(2020, 2, 29)) and r[14] == Date(datetime.date(2019, 12, 31))
    # In values and WHERE terms, with markers taking the receiver's type.
    s.execute(s.prepare("UPDATE ar SET i = (int) ? * 3, ts = ? + 2h WHERE k = ?"), (5, datetime.datetime(2020, 1, 1), 2))
    r = s.execute("SELECT i, ts FROM ar WHERE k = 4 - 2").one()
    assert r.i == 15 and r.ts == datetime.datetime(2020, 1, 1, 2, 0)
    assert s.execute(s.prepare("SELECT i FROM ar WHERE k = (int) ? + 1"), (1,)).one().i == 15
    # Without the hint the overload is ambiguous, as in Cassandra.
    with pytest.raises(InvalidRequest, match="Ambiguous '\\*' operation"):
        s.prepare("UPDATE ar SET i = ? * 3 WHERE k = 2")
    s.execute("UPDATE ar SET dec = 1 / 3.0 WHERE k = 2")
    s.execute(s.prepare("UPDATE ar SET d = -? WHERE k = 2"), (0.25,))
    r = s.execute("SELECT dec, d FROM ar WHERE k = 2").one()
    assert r.dec == decimal.Decimal("0.3333333333333333333333333333333333") and r.d == -0.25
    with pytest.raises(InvalidRequest, match="by zero"):
        s.execute("SELECT i / 0 FROM ar WHERE k = 2")
    with pytest.raises(InvalidRequest, match="day precision"):
        s.execute("SELECT dt + 1h FROM ar WHERE k = 2")
    with pytest.raises(InvalidRequest):
        s.execute("SELECT ts * 2 FROM ar WHERE k = 2")


def test_blob_as_type_of_an_empty_blob_is_an_empty_value(s):
    """Cassandra's "empty" values: `blobAsInt(0x)` stores an int with no bytes, which the
    driver reads as EMPTY when it supports empty values (the driver suite's
    test_can_insert_empty_values_for_int32)."""
    from cassandra.cqltypes import EMPTY, Int32Type
    s.execute("CREATE TABLE IF NOT EXISTS empty_values (a text PRIMARY KEY, b int)")
    s.execute("INSERT INTO empty_values (a, b) VALUES ('a', blobAsInt(0x))")
    assert s.execute("SELECT b FROM empty_values WHERE a = 'a'").one().b is None
    try:
        Int32Type.support_empty_values = True
        assert s.execute("SELECT b FROM empty_values WHERE a = 'a'").one().b is EMPTY
    finally:
        Int32Type.support_empty_values = False
    with pytest.raises(InvalidRequest, match="is not a valid binary representation for type int"):
        s.execute("SELECT blobAsInt(0x01) FROM empty_values WHERE a = 'a'")
