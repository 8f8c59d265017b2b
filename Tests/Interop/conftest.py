"""Starts the built `hyades server` ($HYADES_BIN) on 127.0.0.x loopback addresses with
temporary data directories, and stops it with SIGTERM at the end."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading

import pytest


class Server:
    """One real `hyades server` process. `config` is YAML written to a file passed with
    --config; `port` 0 picks a free port (read back from the node's log)."""

    def __init__(self, binary, data_dir, host="127.0.0.2", port=0, config=None):
        self.binary = binary
        self.data_dir = data_dir
        self.host = host
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(data_dir, "hyades-test.yaml")
            with open(self.config_path, "w") as f:
                f.write(config)
        self.log = []
        self.port = None
        self._start(port)

    def _start(self, port):
        args = [self.binary, "server", "--listen-address", self.host, "--native-port", str(port),
                "--data-dir", self.data_dir]
        if self.config_path:
            args += ["--config", self.config_path]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = []
        ready = threading.Event()
        host, proc, log = self.host, self.proc, self.log

        def pump():
            for line in proc.stderr:
                log.append(line)
                m = re.search(re.escape(host) + r":(\d+)", line)
                if m and not found:
                    found.append(int(m.group(1)))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        ready.wait(60)
        if not found:
            raise RuntimeError("hyades server did not start:\n" + "".join(self.log))
        self.port = found[0]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)

    def restart(self):
        """Drains the node (SIGTERM) and starts it again on the same port and data."""
        code = self.stop()
        assert code == 0, "".join(self.log)
        self._start(self.port)


def _binary():
    binary = os.environ.get("HYADES_BIN")
    if not binary:
        pytest.fail("HYADES_BIN is not set (run tools/interop-test)")
    return binary


@pytest.fixture(scope="session")
def start_server():
    """Factory: start_server(host=..., config=...) -> Server, all stopped (exit 0 checked)
    and removed at the end of the session."""
    started = []

    def start(host="127.0.0.2", config=None):
        data = tempfile.mkdtemp(prefix="hyades-interop-")
        s = Server(_binary(), data, host=host, config=config)
        started.append(s)
        return s

    yield start
    failures = []
    for s in started:
        if s.proc.poll() is None:
            code = s.stop()
            if code != 0:
                failures.append("".join(s.log))
        shutil.rmtree(s.data_dir, ignore_errors=True)
    assert not failures, failures


@pytest.fixture(scope="session")
def server(start_server):
    return start_server("127.0.0.2")
