"""The guide's reporting rule for the Fleet Agent (guide L8370/L8936, spec D §11): a polled report is sent
"only if there is an alert change or toner level decrement", not for a page-count-only change, "once every
24 hours" even without changes, and at once on a refresh command."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.protocol import PrinterReport

HEARTBEAT = timedelta(hours=24)


@dataclass
class _Sent:
    at: datetime
    alerts: frozenset


def alert_signature(report: PrinterReport) -> frozenset:
    """What an "alert change" compares: the printer's alerts (key, code, severity, description) and its
    hrPrinterDetectedErrorState bits. None (alerts not collected) reads as "no change"."""
    alerts = frozenset((a.key, a.code, a.severity, a.description) for a in report.alerts or [])
    return alerts | frozenset(("error_state", name) for name in report.error_state)


def toner_levels(report: PrinterReport) -> dict[str, int | None]:
    return {s.key: s.level for s in report.supplies or [] if s.type == "Toner"}


class ReportPolicy:
    """Decides whether a polled report goes to the server. `due` remembers a report it lets through as the
    last one sent (the outbox is durable, so a report handed over counts as sent). A toner decrement is a
    level lower than the last known level of the previous polls (sent or not), so a replaced cartridge's
    first decrement is seen."""

    def __init__(self, *, heartbeat: timedelta = HEARTBEAT):
        self.heartbeat = heartbeat
        self._sent: dict[str, _Sent] = {}
        self._toner: dict[str, dict[str, int | None]] = {}

    def due(self, serial: str, report: PrinterReport, now: datetime, *, refresh: bool = False) -> bool:
        """True when the report must be sent: a refresh, the first report of this printer (since the agent
        started), an alert change, a toner level lower than in the last sent report, or 24 hours since the
        last one sent. A page-count-only change is not a reason."""
        last = self._sent.get(serial)
        signature, toner = alert_signature(report), toner_levels(report)
        if report.alerts is None and last is not None:
            signature = last.alerts              # alerts not collected this time: no change to see
        seen = self._toner.get(serial, {})
        decreased = _decreased(seen, toner)
        self._toner[serial] = {**seen, **{key: level for key, level in toner.items() if level is not None}}
        if not (refresh or last is None or now - last.at >= self.heartbeat or signature != last.alerts
                or decreased):
            return False
        self._sent[serial] = _Sent(now, signature)
        return True

    def forget(self, serial: str) -> None:
        self._sent.pop(serial, None)
        self._toner.pop(serial, None)


def _decreased(before: dict[str, int | None], after: dict[str, int | None]) -> bool:
    """A toner level went down (a known level lower than the last known one)."""
    return any(level is not None and before.get(key) is not None and level < before[key]
               for key, level in after.items())
