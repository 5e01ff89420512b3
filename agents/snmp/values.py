"""`Value`: one SNMP value as plain Python, whichever codec read it (wire.py for v1/v2c, pysnmp for v3)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Value:
    """One SNMP value: `kind` is the net-snmp type name (INTEGER, STRING, OID, Timeticks, Counter32, Gauge32,
    Counter64, IpAddress, Opaque, NULL); `value` an int, bytes (STRING, Opaque) or str (OID, IpAddress)."""

    kind: str
    value: int | bytes | str | None
