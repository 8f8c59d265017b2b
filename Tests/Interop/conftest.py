"""Starts the built `hyades server` ($HYADES_BIN) on 127.0.0.2 with a temporary data
directory for the session, and stops it with SIGTERM at the end."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest


class Server:
    def __init__(self, binary, data_dir, host="127.0.0.2"):
        self.host = host
        self.log = []
        self.proc = subprocess.Popen(
            [binary, "server", "--listen-address", host, "--native-port", "0", "--data-dir", data_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.port = None
        ready = threading.Event()

        def pump():
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(re.escape(host) + r":(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        ready.wait(60)
        if self.port is None:
            raise RuntimeError("hyades server did not start:\n" + "".join(self.log))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("HYADES_BIN")
    if not binary:
        pytest.fail("HYADES_BIN is not set (run tools/interop-test)")
    data = tempfile.mkdtemp(prefix="hyades-interop-")
    s = Server(binary, data)
    yield s
    code = s.stop()
    shutil.rmtree(data, ignore_errors=True)
    assert code == 0, "".join(s.log)
