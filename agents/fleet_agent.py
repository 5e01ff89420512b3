"""`lexcloud-fleet-agent`: the Fleet Agent. Activates with the code of its Fleet Agent definition, discovers
printers over SNMP per the definition's criteria and schedule, polls them and reports over MQTT (REST as
fallback), and runs the commands of the Tasks page. The runtime is agents/core; SNMP is agents/snmp."""
from __future__ import annotations

import sys

from .core.cli import main as _main
from .core.config import FLEET


def main(argv=None) -> int:
    return _main(FLEET, "Lexcloud Fleet Agent: discovers and polls printers over SNMP, reports to the portal.",
                 argv)


if __name__ == "__main__":
    sys.exit(main())
