"""SNMP side of the Fleet Agent: discovery criteria expansion, discovery and identification, polling,
the guide's reporting rule and the MIB walk. SNMPv1/v2c through a thin codec (wire.py), SNMPv3 through
pysnmp 7's asyncio API (decision 0010)."""
from .client import Session, SnmpError, SnmpTimeout, Value, close_engine
from .discovery import Discovered, discover, identify
from .mibwalk import mib_walk
from .policy import ReportPolicy
from .poll import Poller
from .profiles import Profile, ProfileError, profiles_from_definition
from .targets import (
    Backoff,
    CriteriaError,
    allow_non_loopback,
    expand,
    is_loopback,
    network_allowed,
    targets_from_definition,
)

__all__ = ["Backoff", "CriteriaError", "Discovered", "Poller", "Profile", "ProfileError", "ReportPolicy",
           "Session", "SnmpError", "SnmpTimeout", "Value", "allow_non_loopback", "close_engine", "discover",
           "expand", "identify", "is_loopback", "mib_walk", "network_allowed", "profiles_from_definition",
           "targets_from_definition"]
