"""Shared by the multi-node interop tests: a node's YAML with one seed, and polling."""
import time


def node_config(cluster_name, host, seed, storage_port, extra=""):
    """A node of `cluster_name` listening on `host`, gossiping through `seed`; `extra` is
    more YAML (one setting per line)."""
    return ("cluster_name: '%s'\n"
            "storage_port: %d\n"
            "listen_address: %s\n"
            "%s"
            "seed_provider:\n"
            "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
            "    parameters:\n"
            "      - seeds: \"%s:%d\"\n" % (cluster_name, storage_port, host, extra, seed, storage_port))


def wait_for(what, predicate, seconds=40):
    """Polls `predicate` (exceptions count as not yet) until true or `seconds` pass."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for " + what)
