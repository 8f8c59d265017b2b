"""A read that meets a corrupt SSTable block, as the real python driver sees it: a server
error naming the file and the offset; the node logs it once and counts it (hyades status)."""
import glob
import os
import subprocess
import time

import pytest
from cassandra import ReadFailure
from cassandra.cluster import Cluster
from cassandra.policies import ConstantReconnectionPolicy


def _reconnect(session):
    deadline = time.monotonic() + 60
    while True:
        try:
            session.execute("SELECT release_version FROM system.local")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_corrupt_block_read_error_reaches_the_driver(start_server):
    from cassandra.cluster import NoHostAvailable
    node = start_server("127.0.0.73", config="disk_failure_policy: ignore\n")
    cluster = Cluster([node.host], port=node.port, connect_timeout=20,
                      reconnection_policy=ConstantReconnectionPolicy(0.2, None))
    s = cluster.connect()
    try:
        s.execute("CREATE KEYSPACE dfp WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        s.execute("CREATE TABLE dfp.t (k int PRIMARY KEY, v text)")
        insert = s.prepare("INSERT INTO dfp.t (k, v) VALUES (?, ?)")
        for k in range(200):
            s.execute(insert, (k, "value %d" % k))
        # The drain flushes the memtable into one SSTable; one byte of its data block flipped.
        assert node.stop() == 0, "".join(node.log)
        files = glob.glob(os.path.join(node.data_dir, "dfp", "t-*", "hy-*-Data.db"))
        assert len(files) == 1, files
        with open(files[0], "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0x5A
            f.seek(0)
            f.write(data)
        node._start(node.port)
        _reconnect(s)
        for _ in range(2):
            # READ_FAILURE (0x1300), as Cassandra answers a replica read that failed; the
            # driver raises it as ReadFailure (it does not retry it on another host).
            with pytest.raises(ReadFailure) as e:
                list(s.execute("SELECT * FROM dfp.t"))
            assert "corrupt SSTable %s at offset " % files[0] in str(e.value), str(e.value)
            assert e.value.failures == 1 and e.value.received_responses == 0
        lines = [l for l in node.log if "corrupt SSTable: " in l and " error " in l]
        assert len(lines) == 1, "".join(node.log)
        assert files[0] in lines[0] and "dfp.t" in lines[0]
        status = subprocess.run([node.binary, "status", "--data-dir", node.data_dir],
                                capture_output=True, text=True, timeout=30)
        assert status.returncode == 0, status.stdout + status.stderr
        assert "corrupt SSTable reads: 2" in status.stdout and files[0] + " at offset " in status.stdout, status.stdout
    finally:
        cluster.shutdown()
