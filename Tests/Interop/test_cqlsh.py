"""The real `cqlsh` from PyPI (`pip install cqlsh`) against `hyades server`, as a user runs it:
`cqlsh HOST PORT -e '...'`, reading the tables it prints."""
import os
import re
import subprocess
import sys
import tempfile

import pytest

CQLSH = os.path.join(os.path.dirname(sys.executable), "cqlsh")


def cqlsh(server, statements, *extra):
    if not os.path.exists(CQLSH):
        pytest.fail("cqlsh is not installed in the test venv (run tools/interop-test)")
    # A private HOME: no ~/.cassandra/cqlshrc of the machine's user leaks in.
    home = tempfile.mkdtemp(prefix="hyades-cqlsh-home-")
    env = dict(os.environ, HOME=home)
    return subprocess.run([CQLSH, server.host, str(server.port), *extra, "-e", statements],
                          capture_output=True, text=True, timeout=120, env=env)


def ok(server, statements, *extra):
    p = cqlsh(server, statements, *extra)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Error" not in p.stderr and "Traceback" not in p.stderr, p.stderr
    return p.stdout


def table(output):
    """The first table cqlsh printed: (headers, rows as lists of cell text, the (N rows) count)."""
    lines = [l.rstrip() for l in output.splitlines()]
    i = next(i for i, l in enumerate(lines) if re.fullmatch(r"-+(\+-+)*", l))
    headers = [h.strip() for h in lines[i - 1].split("|")]
    rows = []
    j = i + 1
    while j < len(lines) and lines[j].strip():
        rows.append([c.strip() for c in lines[j].split("|")])
        j += 1
    m = re.search(r"\((\d+) rows\)", output)
    return headers, rows, int(m.group(1)) if m else None


@pytest.fixture(scope="module")
def keyspace(server):
    ok(server, "CREATE KEYSPACE IF NOT EXISTS shell WITH replication = "
               "{'class': 'SimpleStrategy', 'replication_factor': 1}; "
               "CREATE TABLE IF NOT EXISTS shell.stars (source_id bigint, band text, mag double, "
               "name text, PRIMARY KEY (source_id, band)) WITH CLUSTERING ORDER BY (band DESC);")
    return "shell"


def test_describe_keyspaces(server, keyspace):
    out = ok(server, "DESCRIBE KEYSPACES")
    names = out.split()
    for ks in ("shell", "system", "system_schema"):
        assert ks in names, out


def test_describe_table(server, keyspace):
    out = ok(server, "DESCRIBE TABLE shell.stars")
    assert "CREATE TABLE shell.stars (" in out
    for col in ("source_id bigint", "band text", "mag double", "name text"):
        assert col in out, out
    assert "PRIMARY KEY (source_id, band)" in out
    assert "WITH CLUSTERING ORDER BY (band DESC)" in out
    # DESCRIBE KEYSPACE prints the keyspace and its table.
    out = ok(server, "DESCRIBE KEYSPACE shell")
    assert "CREATE KEYSPACE shell WITH replication" in out and "CREATE TABLE shell.stars" in out


def test_insert_and_select_print_a_table(server, keyspace):
    ok(server, "INSERT INTO shell.stars (source_id, band, mag, name) VALUES (4295806720, 'G', 17.25, 'Gaia DR3 1');"
               "INSERT INTO shell.stars (source_id, band, mag) VALUES (4295806720, 'BP', 17.5);"
               "INSERT INTO shell.stars (source_id, band, mag, name) VALUES (34361129088, 'G', 16.0, 'it''s');")
    out = ok(server, "SELECT source_id, band, mag, name FROM shell.stars WHERE source_id = 4295806720")
    headers, rows, count = table(out)
    assert headers == ["source_id", "band", "mag", "name"]
    # CLUSTERING ORDER BY (band DESC): G before BP; a missing cell prints null.
    assert rows == [["4295806720", "G", "17.25", "Gaia DR3 1"], ["4295806720", "BP", "17.5", "null"]]
    assert count == 2
    out = ok(server, "SELECT count(*) FROM shell.stars")
    headers, rows, count = table(out)
    assert headers == ["count"] and rows == [["3"]] and count == 1
    out = ok(server, "SELECT name FROM shell.stars WHERE source_id = 34361129088 AND band = 'G'")
    assert table(out)[1] == [["it's"]]
    out = ok(server, "SELECT * FROM shell.stars WHERE source_id = 1")
    assert table(out)[2] == 0


def test_use_and_expand(server, keyspace):
    out = ok(server, 'USE "shell"; EXPAND ON; SELECT * FROM stars WHERE source_id = 34361129088;')
    assert re.search(r"@ Row 1", out) and re.search(r"name\s*\|\s*it's", out), out


def test_bad_statement_is_reported(server, keyspace):
    # cqlsh's own grammar catches this one before sending it.
    p = cqlsh(server, "SELEKT * FROM shell.stars")
    assert p.returncode != 0
    assert "SyntaxException" in p.stderr, p.stderr
    # The node's: a statement cqlsh passes through but the node's parser rejects.
    p = cqlsh(server, "SELECT * FROM shell.stars WHERE source_id = 0x")
    assert p.returncode != 0
    assert "code=2000" in p.stderr or "code=2200" in p.stderr, p.stderr
    p = cqlsh(server, "SELECT * FROM shell.nosuchtable")
    assert p.returncode != 0
    assert "InvalidRequest" in p.stderr and "code=2200" in p.stderr, p.stderr
    p = cqlsh(server, "CREATE TABLE shell.mixed (k int PRIMARY KEY, n counter, v int)")
    assert p.returncode != 0
    assert "code=2200" in p.stderr and "Cannot mix counter and non counter columns" in p.stderr, p.stderr


def test_lightweight_transaction_prints_applied(server, keyspace):
    out = ok(server, "INSERT INTO shell.stars (source_id, band, mag) VALUES (77, 'G', 1.0) IF NOT EXISTS")
    assert table(out)[:2] == (["[applied]"], [["True"]])
    out = ok(server, "INSERT INTO shell.stars (source_id, band, mag) VALUES (77, 'G', 2.0) IF NOT EXISTS")
    headers, rows, _ = table(out)
    assert headers[0] == "[applied]" and rows[0][0] == "False" and "1" in rows[0][headers.index("mag")]


def test_login_with_password_authenticator(start_server):
    node = start_server("127.0.0.7", config="authenticator: PasswordAuthenticator\n")
    out = ok(node, "SELECT cluster_name FROM system.local", "-u", "cassandra", "-p", "cassandra")
    assert table(out)[1] == [["Test Cluster"]]
    p = cqlsh(node, "SELECT cluster_name FROM system.local", "-u", "cassandra", "-p", "wrong")
    assert p.returncode != 0
    assert "Bad credentials" in p.stderr or "AuthenticationFailed" in p.stderr, p.stderr


def test_copy_from_and_to_round_trip(server, keyspace, tmp_path):
    """cqlsh COPY: FROM sends prepared inserts in batches, TO reads the ring by token ranges."""
    import csv
    ok(server, "CREATE TABLE IF NOT EXISTS shell.copied (k int, c int, v text, PRIMARY KEY (k, c))")
    src = tmp_path / "in.csv"
    rows = [(i % 37, i, "v%d, with comma" % i) for i in range(3000)]
    with open(src, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    out = ok(server, "COPY shell.copied (k, c, v) FROM '%s'" % src)
    assert "3000 rows imported" in out, out
    dst = tmp_path / "out.csv"
    out = ok(server, "COPY shell.copied (k, c, v) TO '%s'" % dst)
    assert "3000 rows exported" in out, out
    with open(dst, newline="") as f:
        back = {(int(k), int(c), v) for k, c, v in csv.reader(f)}
    assert back == set(rows)


def test_tracing_on_prints_the_trace(server, keyspace):
    out = ok(server, "TRACING ON; SELECT count(*) FROM shell.stars")
    assert "Tracing session: " in out
    assert re.search(r"activity\s*\|\s*timestamp\s*\|\s*source\s*\|\s*source_elapsed\s*\|\s*client", out), out
    assert "Request complete" in out


def test_counters_show_in_cqlsh(server, keyspace):
    ok(server, "CREATE TABLE IF NOT EXISTS shell.page_hits (page text PRIMARY KEY, views counter); "
               "UPDATE shell.page_hits SET views = views + 1 WHERE page = 'home'; "
               "UPDATE shell.page_hits SET views = views + 41 WHERE page = 'home';")
    headers, rows, count = table(ok(server, "SELECT page, views FROM shell.page_hits WHERE page = 'home'"))
    assert headers == ["page", "views"] and rows == [["home", "42"]] and count == 1
    out = ok(server, "DESCRIBE TABLE shell.page_hits")
    assert "views counter" in out, out
