"""What the runner needs from SNMP, as one injectable object: the real one wraps `agents.snmp` (discovery,
polling, the reporting rules, MIB walks); tests pass a small fake with the same methods."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..protocol import PrinterReport
from .config import read_json, write_private

DEFAULT_PROFILE = "Default"


class Collector(Protocol):
    def profile(self, definition: dict, name: str = "", inline: dict | None = None) -> Any:
        """The SNMP profile object for a profile name of the definition, or for an inline profile (Local
        Agent printers carry theirs in the configuration file)."""

    def targets(self, definition: dict) -> list[tuple[str, Any]]:
        """(address, profile) pairs to discover: the definition's include criteria minus the excludes."""

    async def discover(self, targets: list[tuple[str, Any]], *, concurrency: int, delay_ms: int) -> list:
        """Printers that answered: objects with `address`, `profile` and `identity` (PrinterIdentity)."""

    async def poll(self, address: str, profile: Any, serial: str, identity: dict | None = None) -> PrinterReport:
        """A report; a printer that does not answer gives status "offline" (or raises)."""

    def due(self, serial: str, report: PrinterReport, now: datetime, refresh: bool = False) -> bool:
        """Whether the report must be sent now (alert change, toner decrement, 24 hours, refresh)."""

    async def mib_walk(self, address: str, profile: Any) -> str: ...


def profile_name(profile: Any) -> str:
    return str(getattr(profile, "name", "") or DEFAULT_PROFILE)


class SnmpCollector:
    """The production collector over agents.snmp (pysnmp asyncio). Dead addresses back off across discovery
    runs; the back-off is kept in `backoff_file` so a restart does not probe them all again."""

    IDENTITY_KEYS = ("model", "manufacturer", "mac", "hostname", "firmware")

    def __init__(self, backoff_file: Path | None = None):
        from .. import snmp

        self.snmp = snmp
        self.poller = snmp.Poller()
        self.policy = snmp.ReportPolicy()
        self.backoff_file = backoff_file
        saved = read_json(backoff_file) if backoff_file else None
        self.backoff = snmp.Backoff(state=saved or None)

    def profile(self, definition: dict, name: str = "", inline: dict | None = None) -> Any:
        if inline is not None:
            return self.snmp.Profile.from_definition({"name": name or "Local", **inline})
        profiles = self.snmp.profiles_from_definition(definition)
        chosen = (profiles.get(name) or next((p for p in profiles.values() if getattr(p, "is_default", False)), None)
                  or next(iter(profiles.values())))
        return chosen

    def targets(self, definition: dict) -> list[tuple[str, Any]]:
        return list(self.snmp.targets_from_definition(definition, self.snmp.profiles_from_definition(definition)))

    async def discover(self, targets, *, concurrency: int, delay_ms: int) -> list:
        found = await self.snmp.discover(targets, concurrency=concurrency, delay_ms=delay_ms, backoff=self.backoff)
        if self.backoff_file:
            write_private(self.backoff_file, self.backoff.state())
        return found

    async def poll(self, address: str, profile: Any, serial: str, identity: dict | None = None) -> PrinterReport:
        known = {k: v for k, v in (identity or {}).items() if k in self.IDENTITY_KEYS and v}
        return await self.poller.poll(address, profile, serial, vendor=known.get("manufacturer", ""),
                                      identity=known)

    def due(self, serial: str, report: PrinterReport, now: datetime, refresh: bool = False) -> bool:
        return self.policy.due(serial, report, now, refresh=refresh)

    async def mib_walk(self, address: str, profile: Any) -> str:
        return await self.snmp.mib_walk(address, profile)

    def forget(self, serial: str) -> None:
        self.poller.forget(serial)

    def close(self) -> None:
        """Close pysnmp's engine of the running loop (its UDP sockets)."""
        self.snmp.close_engine()
