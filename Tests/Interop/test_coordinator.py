"""Issue 11 item 5: any node coordinates any request. Three real `hyades server` processes
on 127.0.0.61-63 gossip into one ring; the real cassandra-driver, pinned to one node at a
time (that node coordinates), writes and reads at consistency levels and sees each
replica's data by reading it alone at ONE."""
import os
import signal
import time

import pytest
from cluster_support import node_config, wait_for
from cassandra import ConsistencyLevel as CL
from cassandra import Unavailable, WriteTimeout
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import FallthroughRetryPolicy, WhiteListRoundRobinPolicy
from cassandra.query import SimpleStatement

STORAGE_PORT = 7361
HOSTS = ["127.0.0.61", "127.0.0.62", "127.0.0.63"]


def config(host):
    return node_config("coordinator-test", host, HOSTS[0], STORAGE_PORT,
                       "write_request_timeout: 1000ms\n"
                       "read_request_timeout: 2000ms\n")


class Pinned:
    """A driver session whose requests all go to (are coordinated by) one node."""

    def __init__(self, node):
        self.node = node
        self.reopen()

    def reopen(self):
        # No retries: the test sees the coordinator's own answer (the default policy turns
        # an UNAVAILABLE into a retry on the next host, here none: NoHostAvailable).
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([self.node.host]),
                                   retry_policy=FallthroughRetryPolicy(), request_timeout=30)
        self.cluster = Cluster([self.node.host], port=self.node.port, connect_timeout=20,
                               execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        self.session = self.cluster.connect()

    def run(self, cql, params=None, cl=CL.ONE, fetch_size=None):
        st = SimpleStatement(cql, consistency_level=cl, fetch_size=fetch_size)
        return self.session.execute(st, params)

    def close(self):
        self.cluster.shutdown()


@pytest.fixture(scope="module")
def ring(start_server):
    nodes = [start_server(h, config=config(h)) for h in HOSTS]
    pins = [Pinned(n) for n in nodes]

    def joined():
        for p in pins:
            rows = list(p.run("SELECT peer, schema_version FROM system.peers"))
            if len(rows) != 2:
                return False
        return True
    wait_for("every node to see the two others", joined)
    # Let the failure detectors settle: every node must hold the others alive.
    time.sleep(3)
    yield nodes, pins
    for p in pins:
        p.close()


def all_up(pins):
    """Every node holds every other alive: a read at ALL succeeds through each."""
    def ok():
        for p in pins:
            p.run("SELECT k FROM rf3.kv WHERE k = 0", cl=CL.ALL)
        return True
    wait_for("every node to see every node up", ok, seconds=60)


def ddl(pins, statement):
    pins[0].run(statement)
    versions = lambda: len({str(p.run("SELECT schema_version FROM system.local").one().schema_version) for p in pins}) == 1
    wait_for("schema agreement", versions)


def test_quorum_write_reaches_every_replica(ring):
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf3.kv (k int PRIMARY KEY, v text)")
    for i in range(100):
        pins[i % 3].run("INSERT INTO rf3.kv (k, v) VALUES (%s, %s)", (i, "v%d" % i), cl=CL.QUORUM)
    # Every node holds every row: each read alone at ONE (it is a replica of everything).
    for p in pins:
        rows = {r.k: r.v for r in p.run("SELECT k, v FROM rf3.kv", cl=CL.ONE)}
        assert rows == {i: "v%d" % i for i in range(100)}
    # QUORUM and ALL reads agree.
    for cl in (CL.QUORUM, CL.ALL):
        assert pins[1].run("SELECT v FROM rf3.kv WHERE k = 7", cl=cl).one().v == "v7"
        assert pins[2].run("SELECT count(*) FROM rf3.kv", cl=cl).one()[0] == 100


def test_rf1_rows_live_on_their_replica_and_any_node_reads_them(ring):
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf1.kv (k int, c int, v text, PRIMARY KEY (k, c))")
    n = 300
    for i in range(n):
        pins[i % 3].run("INSERT INTO rf1.kv (k, c, v) VALUES (%s, %s, %s)", (i, i % 5, "x%d" % i))
    expected = {(i, i % 5): "x%d" % i for i in range(n)}
    for p in pins:
        # Single-partition reads through any coordinator.
        assert p.run("SELECT v FROM rf1.kv WHERE k = 123 AND c = 3").one().v == "x123"
        # A full scan walks every node's ranges, in token order, paged across nodes.
        rows = list(p.run("SELECT k, c, v, token(k) AS t FROM rf1.kv", fetch_size=37))
        assert {(r.k, r.c): r.v for r in rows} == expected
        tokens = [r.t for r in rows]
        assert tokens == sorted(tokens)
        assert p.run("SELECT count(*) FROM rf1.kv").one()[0] == n
    # The rows are spread: no node holds them all (each read alone through token ranges it owns
    # is tested by the scan above; here: the data directory sizes are not all equal).
    lo, hi = -2**63, 2**63 - 1
    mid = 0
    a = pins[0].run("SELECT count(*) FROM rf1.kv WHERE token(k) > %s AND token(k) <= %s", (lo, mid)).one()[0]
    b = pins[1].run("SELECT count(*) FROM rf1.kv WHERE token(k) > %s AND token(k) <= %s", (mid, hi)).one()[0]
    assert a + b == n and a > 0 and b > 0


def test_unavailable_when_too_few_replicas_are_alive(ring):
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS rf3 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf3.down (k int PRIMARY KEY, v int)")
    victim = nodes[2]
    pins[2].close()
    assert victim.stop() == 0
    last = []
    try:
        def down_seen():
            try:
                pins[0].run("INSERT INTO rf3.down (k, v) VALUES (1, 1)", cl=CL.ALL)
                last.append("succeeded")
                return False
            except Unavailable:
                return True
            except Exception as e:
                last.append(repr(e))
                raise
        try:
            wait_for("ALL to be unavailable with one replica down", down_seen)
        except AssertionError:
            raise AssertionError("last outcome: %s" % last[-3:])
        with pytest.raises(Unavailable) as e:
            pins[0].run("SELECT * FROM rf3.down WHERE k = 1", cl=CL.ALL)
        assert e.value.required_replicas == 3 and e.value.alive_replicas == 2
        # QUORUM still succeeds, and the write is hinted for the down node.
        for i in range(50):
            pins[i % 2].run("INSERT INTO rf3.down (k, v) VALUES (%s, %s)", (i, i), cl=CL.QUORUM)
        assert pins[1].run("SELECT count(*) FROM rf3.down", cl=CL.QUORUM).one()[0] == 50
    finally:
        victim._start(victim.port)
        pins[2].reopen()
    # Back up: hints replay, and the node alone at ONE has every row it missed.
    wait_for("hints to reach the restarted node",
             lambda: pins[2].run("SELECT count(*) FROM rf3.down", cl=CL.ONE).one()[0] == 50, seconds=60)
    all_up(pins)


def test_write_timeout_when_a_replica_does_not_answer(ring):
    nodes, pins = ring
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf3.slow (k int PRIMARY KEY, v int)")
    victim = nodes[1]
    os.kill(victim.proc.pid, signal.SIGSTOP)
    try:
        # Before the failure detector convicts the stopped node it counts as alive: ALL waits
        # for its acknowledgement and times out after write_request_timeout (1 s).
        with pytest.raises(WriteTimeout) as e:
            pins[0].run("INSERT INTO rf3.slow (k, v) VALUES (1, 1)", cl=CL.ALL)
        assert e.value.received_responses == 2 and e.value.required_responses == 3
        assert e.value.write_type == 0  # SIMPLE
        # QUORUM is met by the two others.
        pins[0].run("INSERT INTO rf3.slow (k, v) VALUES (2, 2)", cl=CL.QUORUM)
    finally:
        os.kill(victim.proc.pid, signal.SIGCONT)
    wait_for("the stalled node to get the writes it missed",
             lambda: pins[1].run("SELECT count(*) FROM rf3.slow", cl=CL.ONE).one()[0] == 2, seconds=60)
    all_up(pins)


def test_kill_9_during_quorum_writes_loses_nothing_acknowledged(ring):
    nodes, pins = ring
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf3.load (k int PRIMARY KEY, v int)")
    victim = nodes[2]
    watcher = Cluster([nodes[0].host], port=nodes[0].port, connect_timeout=20)
    watcher.connect()
    victim_host = [h for h in watcher.metadata.all_hosts() if h.address == victim.host][0]
    wait_for("the driver to see every node up", lambda: victim_host.is_up)
    insert = pins[0].session.prepare("INSERT INTO rf3.load (k, v) VALUES (?, ?)")
    insert.consistency_level = CL.QUORUM
    acknowledged = []
    failed = 0
    killed = False
    restarted = False
    try:
        start = time.time()
        i = 0
        # Writes in flight 32 at a time; node 3 is killed -9 after a second of load.
        while time.time() - start < 5:
            futures = [(k, pins[0].session.execute_async(insert, (k, k))) for k in range(i, i + 32)]
            i += 32
            for k, f in futures:
                try:
                    f.result()
                    acknowledged.append(k)
                except Exception:
                    failed += 1
            if not killed and time.time() - start > 1:
                victim.proc.kill()
                victim.proc.wait()
                killed = True
        assert killed and len(acknowledged) > 100
        # QUORUM writes kept succeeding with one replica of three gone.
        assert failed == 0
        wait_for("the driver to see the killed node DOWN", lambda: not victim_host.is_up, seconds=30)
        # Every acknowledged write is read back at QUORUM while it is down, through both survivors.
        select = "SELECT k FROM rf3.load"
        for p in pins[:2]:
            got = {r.k for r in p.run(select, cl=CL.QUORUM)}
            assert set(acknowledged) <= got
        victim._start(victim.port)
        restarted = True
        pins[2].reopen()
        wait_for("the driver to see the node UP again", lambda: victim_host.is_up, seconds=60)
        # Its hints replay: read alone at ONE, it returns everything acknowledged.
        wait_for("hints to replay to the restarted node",
                 lambda: set(acknowledged) <= {r.k for r in pins[2].run(select, cl=CL.ONE)}, seconds=60)
        all_up(pins)
    finally:
        if not restarted and victim.proc.poll() is not None:
            victim._start(victim.port)
            pins[2].reopen()
        watcher.shutdown()


def test_logged_batch_across_nodes_goes_through_the_batchlog(ring):
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf1.batched (k int PRIMARY KEY, v int)")
    statements = " ".join("INSERT INTO rf1.batched (k, v) VALUES (%d, %d);" % (k, k * 10) for k in range(40))
    pins[1].run("BEGIN BATCH " + statements + " APPLY BATCH", cl=CL.QUORUM)
    for p in pins:
        assert {r.k: r.v for r in p.run("SELECT k, v FROM rf1.batched")} == {k: k * 10 for k in range(40)}
    # Logged on two other nodes, then removed once every part was written.
    wait_for("the batchlogs to be emptied", lambda: all(
        not [f for f in os.listdir(os.path.join(n.data_dir, "batchlog")) if f.endswith(".batch")] for n in nodes))


def test_driver_token_map_matches_where_10000_keys_are_stored(ring):
    """The driver routes by its token map; the nodes place by theirs. 10,000 keys written
    at RF 1 through one coordinator must each be stored on exactly the node the driver's
    token map names (read from every node's SSTables after a flush)."""
    import glob
    import json
    import struct
    import subprocess
    from cassandra.concurrent import execute_concurrent_with_args
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS rf1 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    ddl(pins, "CREATE TABLE IF NOT EXISTS rf1.placed (k int PRIMARY KEY)")
    insert = pins[0].session.prepare("INSERT INTO rf1.placed (k) VALUES (?)")
    results = execute_concurrent_with_args(pins[0].session, insert, [(k,) for k in range(10000)], concurrency=64)
    assert all(ok for ok, _ in results)
    watcher = Cluster([nodes[0].host], port=nodes[0].port, connect_timeout=20)
    try:
        watcher.connect()
        wait_for("the driver's token map", lambda: watcher.metadata.token_map is not None and
                 len(watcher.metadata.get_replicas("rf1", struct.pack(">i", 1))) == 1)
        expected = {n.host: set() for n in nodes}
        for k in range(10000):
            (host,) = watcher.metadata.get_replicas("rf1", struct.pack(">i", k))
            expected[host.address].add(k)
    finally:
        watcher.shutdown()
    binary = os.environ["HYADES_BIN"]
    for n in nodes:
        flushed = subprocess.run([binary, "nodetool", "-h", n.host, "--storage-port", str(STORAGE_PORT), "flush", "rf1"],
                                 capture_output=True, text=True)
        assert flushed.returncode == 0, flushed.stderr
        stored = set()
        for data in glob.glob(os.path.join(n.data_dir, "rf1", "placed-*", "*-Data.db")):
            out = subprocess.run([binary, "sstable", "dump", data], capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
            stored |= {int(p["partition"]["key"][0]) for p in json.loads(out.stdout)}
        assert stored == expected[n.host], (n.host, len(stored), len(expected[n.host]))
        assert 1000 < len(stored) < 6000


def test_concurrent_ddl_on_two_nodes_keeps_both_tables_and_agrees(ring):
    """Different tables created at the same moment through two coordinators both survive;
    the same table created on two nodes ends as one definition everywhere."""
    import threading
    nodes, pins = ring
    ddl(pins, "CREATE KEYSPACE IF NOT EXISTS race WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    start = threading.Barrier(2)

    def create(p, statements):
        from cassandra import AlreadyExists
        start.wait()
        for s in statements:
            try:
                p.run(s)
            except AlreadyExists:
                pass   # the other node's version arrived first: also a correct outcome
    threads = [threading.Thread(target=create, args=(pins[0], ["CREATE TABLE race.a (k int PRIMARY KEY)",
                                                               "CREATE TABLE race.same (k int PRIMARY KEY, x int)"])),
               threading.Thread(target=create, args=(pins[1], ["CREATE TABLE race.b (k int PRIMARY KEY)",
                                                               "CREATE TABLE race.same (k int PRIMARY KEY, y int)"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def agreed():
        seen = []
        for p in pins:
            tables = sorted(r.table_name for r in p.run(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'race'"))
            columns = sorted(r.column_name for r in p.run(
                "SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'race' AND table_name = 'same'"))
            version = p.run("SELECT schema_version FROM system.local").one().schema_version
            seen.append((tables, columns, version))
        return all(s == seen[0] for s in seen) and seen[0][0] == ["a", "b", "same"] and len(seen[0][1]) == 2
    wait_for("both tables on every node and one definition of race.same", agreed)
