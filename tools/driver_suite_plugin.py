"""pytest plugin loaded by tools/driver-suite (-p driver_suite_plugin): points the Python
driver's integration suite at protocol v4 without editing its checkout.

The suite's TestCluster asks every node of version 4.0 or later for protocol v5 (its
DEFAULT_PROTOCOL_VERSION comes from CASSANDRA_VERSION, not from PROTOCOL_VERSION), and a
driver given an explicit version does not negotiate down. Hyades speaks v4, so before
any test module is imported the suite's defaults are set to PROTOCOL_VERSION (4 unless
the environment says otherwise)."""
import os


def pytest_configure(config):
    version = int(os.environ.get("PROTOCOL_VERSION", "4"))
    import tests.integration as integration
    integration.default_protocol_version = version
    integration.PROTOCOL_VERSION = version
    integration.TestCluster.DEFAULT_PROTOCOL_VERSION = version
