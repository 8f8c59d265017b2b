#!/usr/bin/env python3
"""Times SSTable streaming + adoption (`hyades sstable import`) against a real node.

Usage: stream-import.py HYADES_BINARY [ROWS] [REPEATS]

Starts `hyades server` on 127.0.0.61 (ephemeral ports) in a temporary directory, creates
two tables with the same schema over raw CQL, fills `src` (ROWS rows, ~1 KB each), drains
and restarts the node so `src` is flushed to SSTables, then streams copies of those SSTable
files into `dst` REPEATS times (fresh session ids) and prints MB/s of file bytes per run:
wire transfer, per-file CRC + fsync, full verification of every checksum, rename and the
MANIFEST edit. Loopback only: no network in the figure.
"""
import os, random, re, shutil, socket, struct, subprocess, sys, tempfile, time, uuid

HOST = "127.0.0.61"

def frame(stream, opcode, body):
    return struct.pack(">BBhBi", 4, 0, stream, opcode, len(body)) + body

def string(s):
    b = s.encode(); return struct.pack(">H", len(b)) + b

def long_string(s):
    b = s.encode(); return struct.pack(">i", len(b)) + b

class CQL:
    def __init__(self, port):
        self.s = socket.create_connection((HOST, port))
        self.send(0x01, struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0"))
    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            c = self.s.recv(n - len(out))
            if not c: raise RuntimeError("connection closed")
            out += c
        return out
    def send(self, opcode, body):
        self.s.sendall(frame(0, opcode, body))
        _, _, _, op, n = struct.unpack(">BBhBi", self.recv_exact(9))
        b = self.recv_exact(n)
        if op == 0x00: raise RuntimeError("CQL error: %r" % b[6:])
        return b
    def query(self, q):
        return self.send(0x07, long_string(q) + struct.pack(">HB", 0x0001, 0))

def start(binary, data):
    p = subprocess.Popen([binary, "server", "--listen-address", HOST, "--native-port", "0", "--storage-port", "0",
                          "--data-dir", data], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log = ""
    ports = {}
    while len(ports) < 2:
        line = p.stderr.readline()
        if not line: raise RuntimeError("server did not start:\n" + log)
        log += line
        for key, marker in (("cql", "CQL native transport listening on"), ("storage", "SSTable streaming listening on")):
            m = re.search(re.escape(marker) + r".*?" + re.escape(HOST) + r":(\d+)", line)
            if m: ports[key] = int(m.group(1))
    return p, ports

def main():
    binary = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    base = tempfile.mkdtemp(prefix="hyades-stream-bench-")
    try:
        data = base + "/node"
        p, ports = start(binary, data)
        c = CQL(ports["cql"])
        c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        for t in ("src", "dst"):
            c.query("CREATE TABLE ks.%s (source_id bigint PRIMARY KEY, ra double, dec double, payload text)" % t)
        rnd = random.Random(42)
        for start_id in range(0, rows, 100):
            stmts = ["INSERT INTO ks.src (source_id, ra, dec, payload) VALUES (%d, %f, %f, '%s')"
                     % (i, rnd.uniform(0, 360), rnd.uniform(-90, 90), rnd.randbytes(480).hex())
                     for i in range(start_id, min(rows, start_id + 100))]
            c.query("BEGIN UNLOGGED BATCH " + "; ".join(stmts) + "; APPLY BATCH")
        p.terminate(); p.wait()
        p, ports = start(binary, data)
        src = [d for d in os.listdir(data + "/ks") if d.startswith("src-")][0]
        files = [f for f in os.listdir(data + "/ks/" + src) if f.startswith("hy-") and f.endswith(".db")]
        total = sum(os.path.getsize(data + "/ks/" + src + "/" + f) for f in files)
        print("source: %d rows in %d SSTables, %.1f MB on disk" % (rows, len(files) // 4, total / 1e6))
        for r in range(repeats):
            out = base + "/out%d" % r
            os.mkdir(out)
            for f in files: shutil.copy(data + "/ks/" + src + "/" + f, out + "/" + f)
            t0 = time.perf_counter()
            res = subprocess.run([binary, "sstable", "import", out, "--keyspace", "ks", "--table", "dst", "--host", HOST,
                                  "--storage-port", str(ports["storage"]), "--session-id", str(uuid.uuid4())],
                                 capture_output=True, text=True)
            dt = time.perf_counter() - t0
            if res.returncode != 0: raise RuntimeError(res.stderr)
            print("run %d: %.1f MB in %.2f s = %.0f MB/s  (%s)" % (r + 1, total / 1e6, dt, total / 1e6 / dt, res.stdout.strip()))
        c = CQL(ports["cql"])
        p.terminate(); p.wait()
    finally:
        shutil.rmtree(base, ignore_errors=True)

if __name__ == "__main__":
    main()
