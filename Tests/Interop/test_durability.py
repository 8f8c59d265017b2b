"""Acknowledged writes survive kill -9 in every commit-log sync mode, and a full commit-log
disk fails writes before their acknowledgement (issue 10, items 11 and 12).

A real cassandra-driver write load (several threads, async writes) runs against a real
node; the node is killed with SIGKILL mid-load, restarted on the same data, and every row
whose write the driver saw acknowledged must be there."""
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import RoundRobinPolicy

KILLS_PER_MODE = 3
LOAD_SECONDS = 1.5


def connect(node):
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=10)
    cluster = Cluster([node.host], port=node.port, protocol_version=4,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile}, connect_timeout=10)
    return cluster, cluster.connect()


class WriteLoad:
    """`threads` writers, each keeping `in_flight` async inserts outstanding; `acked` holds
    the keys whose insert succeeded, `errors` the messages of those that failed."""

    def __init__(self, session, insert, first_key, threads=4, in_flight=16, value=b"v" * 64):
        self.session, self.insert, self.value = session, insert, value
        self.acked, self.errors = set(), []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.next_key = first_key
        self.threads = [threading.Thread(target=self.run, args=(in_flight,), daemon=True) for _ in range(threads)]

    def key(self):
        with self.lock:
            self.next_key += 1
            return self.next_key

    def run(self, in_flight):
        slots = threading.Semaphore(in_flight)
        while not self.stop.is_set():
            if not slots.acquire(timeout=0.5):
                continue
            k = self.key()
            try:
                f = self.session.execute_async(self.insert, (k, self.value))
            except Exception as e:  # the connection is gone
                slots.release()
                with self.lock:
                    self.errors.append(str(e))
                time.sleep(0.05)
                continue

            def ok(_, k=k):
                with self.lock:
                    self.acked.add(k)
                slots.release()

            def failed(e):
                with self.lock:
                    self.errors.append(str(e))
                slots.release()

            f.add_callbacks(ok, failed)

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)


def kill9(node):
    node.proc.kill()
    node.proc.wait(30)


def present_keys(session, table):
    return {row.k for row in session.execute(f"SELECT k FROM {table}")}


def setup_table(node, ks):
    cluster, session = connect(node)
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute(f"CREATE TABLE IF NOT EXISTS {ks}.t (k bigint PRIMARY KEY, v blob)")
    return cluster, session


@pytest.mark.parametrize("mode,host", [("periodic", "127.0.0.21"), ("group", "127.0.0.22"), ("batch", "127.0.0.23")])
def test_kill9_loses_no_acknowledged_write(start_server, mode, host):
    # periodic: a 10 s period, so no fsync happens before the kills: only writing each
    # entry to the kernel before its acknowledgement saves the rows.
    node = start_server(host, config=f"commitlog_sync: {mode}\n"
                                     "commitlog_sync_period_in_ms: 10000\n"
                                     "commitlog_sync_group_window_in_ms: 15\n")
    ks = f"durability_{mode}"
    cluster, session = setup_table(node, ks)
    acked, lost_per_kill = set(), []
    for kill in range(KILLS_PER_MODE):
        insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?)")
        load = WriteLoad(session, insert, first_key=kill * 10_000_000)
        load.start()
        time.sleep(LOAD_SECONDS)
        kill9(node)  # mid-load: writes in flight
        load.finish()
        cluster.shutdown()
        assert load.acked, f"{mode}: no write acknowledged before the kill: {load.errors[:3]}"
        acked |= load.acked
        node._start(node.port)
        cluster, session = connect(node)
        present = present_keys(session, f"{ks}.t")
        lost_per_kill.append(len(acked - present))
    cluster.shutdown()
    print(f"{mode}: {len(acked)} acknowledged rows over {KILLS_PER_MODE} kills, lost per kill {lost_per_kill}")
    assert lost_per_kill == [0] * KILLS_PER_MODE, f"{mode}: acknowledged rows lost: {lost_per_kill}"


@pytest.fixture
def small_tmpfs():
    path = tempfile.mkdtemp(prefix="hyades-fulldisk-")
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", path], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path])
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("mode", ["periodic", "batch"])
def test_full_commitlog_disk_fails_writes_before_acknowledgement(start_server, small_tmpfs, mode):
    host = "127.0.0.24" if mode == "periodic" else "127.0.0.25"
    commitlog = os.path.join(small_tmpfs, mode)
    os.makedirs(commitlog)
    node = start_server(host, config=f"commitlog_sync: {mode}\n"
                                     f"commitlog_directory: {commitlog}\n"
                                     "commitlog_segment_size_in_mb: 1\n")
    ks = f"fulldisk_{mode}"
    cluster, session = setup_table(node, ks)
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?)")
    load = WriteLoad(session, insert, first_key=0, threads=2, in_flight=8, value=os.urandom(4096))
    load.start()
    deadline = time.time() + 60
    while time.time() < deadline and not load.errors:
        time.sleep(0.1)
    time.sleep(0.5)  # writes keep failing, none acknowledged past the full disk
    load.finish()
    assert load.errors, "the commit log never ran out of space"
    assert any("No space left on device" in e for e in load.errors), load.errors[:3]
    # Reads still work while writes are refused.
    assert len(present_keys(session, f"{ks}.t")) >= len(load.acked)
    cluster.shutdown()
    kill9(node)
    # The operator makes room, the node restarts over the same commit log.
    subprocess.run(["mount", "-o", "remount,size=64m", small_tmpfs], check=True)
    node._start(node.port)
    cluster, session = connect(node)
    present = present_keys(session, f"{ks}.t")
    lost = load.acked - present
    print(f"full disk ({mode}): {len(load.acked)} acknowledged, {len(load.errors)} refused, {len(lost)} lost")
    assert not lost, f"{len(lost)} acknowledged rows lost"
    cluster.shutdown()
    node.stop()
