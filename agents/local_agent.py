"""`lexcloud-local-agent`: the Local Agent, for printers attached to one host. The same runtime as the Fleet
Agent with a configured list of printers (addresses with their SNMP settings) instead of discovery, a polling
interval (default 180 minutes), and silent activation from its configuration file:

    server = "https://lexcloud.example.test"
    activation_code = "06a7fa0f-2eae-447a-80b9-49fa225e8864"
    [[printers]]
    address = "127.0.1.1"
    port = 16161
    version = "2c"
    community = "public"
"""
from __future__ import annotations

import sys

from .core.cli import main as _main
from .core.config import LOCAL


def main(argv=None) -> int:
    return _main(LOCAL, "Lexcloud Local Agent: reports the printers attached to this host to the portal.", argv)


if __name__ == "__main__":
    sys.exit(main())
