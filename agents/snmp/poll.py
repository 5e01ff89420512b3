"""Polling one printer: status, supplies, input trays, alerts and counters as a protocol.PrinterReport.

Per poll (v2c/v3): one GET of the status scalars (sysUpTime, hrDeviceStatus, hrPrinterStatus,
hrPrinterDetectedErrorState, prtAlertAllEvents, console text, prtMarkerLifeCount), one multi-column GETBULK
round over supplies + colorants, one over input trays, one over the PWG counter tables; the alert table is
walked only when prtAlertAllEvents moved (or the printer restarted), else the previous alerts are reused.
SNMPv1 walks with GETNEXT. The Poller keeps that per-printer state between polls.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from agents.protocol import IDENTITY_FIELDS, Alert, PrinterReport, PrinterStatus, now_iso

from . import oids, parse
from .client import Session, SnmpError, Value
from .profiles import Profile

log = logging.getLogger("agents.snmp")

STATUS_OIDS = [oids.SYS_UPTIME, oids.HR_DEVICE_STATUS, oids.HR_PRINTER_STATUS, oids.HR_PRINTER_ERROR_STATE,
               oids.PRT_ALERT_ALL_EVENTS, oids.PRT_CONSOLE_TEXT, oids.PRT_MARKER_LIFE_COUNT,
               oids.PRT_MARKER_COLORANTS]
SUPPLY_COLUMNS = {name: oids.PRT_SUPPLIES + (number,) for name, number in oids.SUPPLY_COLUMNS.items()}
INPUT_COLUMNS = {name: oids.PRT_INPUT + (number,) for name, number in oids.INPUT_COLUMNS.items()
                 if name in ("max_capacity", "current_level", "media_name", "name")}
ALERT_COLUMNS = {name: oids.PRT_ALERTS + (number,) for name, number in oids.ALERT_COLUMNS.items()
                 if name != "training"}
GET_CHUNK = 40                             # objects per GET: a response stays well under 1,500 bytes
# Ricoh keeps real levels in its private MIB when the standard ones say -3 (anchors §1.1 LibreNMS)
RICOH_NAMES = oids.oid("1.3.6.1.4.1.367.3.2.1.2.24.1.1.3")
RICOH_LEVELS = oids.oid("1.3.6.1.4.1.367.3.2.1.2.24.1.1.5")


@dataclass
class PrinterState:
    """What the Poller remembers of one printer between polls."""

    alert_events: int | None = None       # last prtAlertAllEvents
    boot_epoch: float | None = None       # when the printer last started (epoch seconds)
    alerts: list[Alert] | None = None
    supplies: dict[str, int | None] = field(default_factory=dict)   # key → last level
    trays: list[parse.InputTray] | None = None
    counter_cells: dict[oids.Oid, str] | None = None   # counter OID → guide name, learnt on the first poll
    vendor: str = ""
    status_signature: tuple | None = None   # (error bits, hrDeviceStatus) of the last poll
    polls: int = 0
    polls_since_walk: int = 0
    alert_walks: int = 0


class Poller:
    """Polls printers and keeps per-printer state (last prtAlertAllEvents, alerts, supply levels, trays).
    Counters are collected every `counters_every`-th poll (1 = always); the alert table is walked at least
    every `alert_refresh_polls` polls even when nothing says it changed."""

    def __init__(self, *, counters_every: int = 1, alert_refresh_polls: int = 12, clock=time.time):
        self.state: dict[str, PrinterState] = {}
        self.counters_every = max(1, counters_every)
        self.alert_refresh_polls = max(1, alert_refresh_polls)
        self.clock = clock
        self.requests = 0                  # PDUs sent, all printers (benchmarks)

    def forget(self, serial: str) -> None:
        self.state.pop(serial, None)

    async def poll(self, address: str, profile: Profile, serial: str, *, vendor: str = "",
                   identity: dict | None = None) -> PrinterReport:
        """One report for the printer `serial` at `address` (`identity`: PrinterIdentity fields to copy into
        the report, e.g. `dataclasses.asdict(discovered.identity)`; `vendor` spares a lookup). A printer
        that does not answer gives a report with status "offline" and nothing collected (lists None);
        parts that time out or answer malformed values are left None; the poll never raises for what the
        printer sends (an address outside loopback, refused by the network rule, reads as offline)."""
        state = self.state.setdefault(serial, PrinterState(vendor=vendor))
        if vendor:
            state.vendor = vendor
        known = {k: v for k, v in (identity or {}).items() if k in IDENTITY_FIELDS and isinstance(v, str)}
        known.update(serial=serial, ip=address, profile=profile.name)
        report = PrinterReport(**known, collected_at=now_iso())
        state.polls += 1
        try:
            session = await Session.open(address, profile)
        except SnmpError as error:
            log.warning("poll %s (%s): %s", address, serial, error)
            report.status = PrinterStatus.OFFLINE
            return report
        try:
            await self._collect(session, state, report)
        except SnmpError as error:       # time-out or refusal: what was read before stays in the report
            log.info("poll %s (%s): %s", address, serial, error)
            if report.uptime is None:
                report.status = PrinterStatus.OFFLINE
        finally:
            self.requests += session.requests
        return report

    async def _collect(self, session: Session, state: PrinterState, report: PrinterReport) -> None:
        vendor_oids = [] if state.vendor else [oids.SYS_OBJECT_ID, oids.SYS_DESCR]
        values = await session.get(STATUS_OIDS + vendor_oids)
        if not values:
            raise SnmpError(f"{session.address}: no status objects")
        if not state.vendor:               # learnt once: vendor quirks and private tables depend on it
            state.vendor = parse.manufacturer(parse.text(values.get(oids.SYS_OBJECT_ID)),
                                              parse.text(values.get(oids.SYS_DESCR))) or "unknown"
        now = self.clock()
        ticks = parse.number(values.get(oids.SYS_UPTIME))
        restarted = False
        if ticks is not None:
            report.uptime = ticks // 100
            boot = now - ticks / 100
            restarted = state.boot_epoch is not None and boot > state.boot_epoch + 60
            state.boot_epoch = boot
        errors = parse.error_state(values.get(oids.HR_PRINTER_ERROR_STATE))
        report.error_state = errors or []
        report.status = parse.printer_status(parse.number(values.get(oids.HR_DEVICE_STATUS)),
                                             parse.number(values.get(oids.HR_PRINTER_STATUS)), errors)
        report.status_text = parse.text(values.get(oids.PRT_CONSOLE_TEXT))
        report.supplies = await self._supplies(session, state)
        state.trays = await self._trays(session)
        events = parse.number(values.get(oids.PRT_ALERT_ALL_EVENTS))
        signature = (tuple(report.error_state), parse.number(values.get(oids.HR_DEVICE_STATUS)))
        report.alerts = await self._alerts(session, state, events,
                                           restarted or signature != state.status_signature)
        state.status_signature = signature
        if state.polls % self.counters_every == 1 % self.counters_every or state.counter_cells is None:
            report.counters = await self._counters(session, state,
                                                   parse.number(values.get(oids.PRT_MARKER_LIFE_COUNT)),
                                                   parse.number(values.get(oids.PRT_MARKER_COLORANTS)) == 1)

    async def _supplies(self, session: Session, state: PrinterState):
        columns = await session.walk([*SUPPLY_COLUMNS.values(), oids.PRT_COLORANT_VALUE])
        rows = {name: columns[column] for name, column in SUPPLY_COLUMNS.items()}
        private = None
        if state.vendor == "Ricoh":
            private = await self._ricoh_levels(session)
        supplies = parse.supplies(rows, columns[oids.PRT_COLORANT_VALUE], vendor=state.vendor,
                                  private_levels=private)
        state.supplies = {s.key: s.level for s in supplies}
        return supplies if rows["level"] or rows["description"] else []

    async def _ricoh_levels(self, session: Session) -> dict[str, int]:
        found = await session.walk([RICOH_NAMES, RICOH_LEVELS], max_rows=32)
        levels = {}
        for index, name in found[RICOH_NAMES].items():
            level = parse.number(found[RICOH_LEVELS].get(index))
            if level is not None and level >= 0:
                levels[parse.text(name)] = level
        return levels

    async def _trays(self, session: Session) -> list[parse.InputTray]:
        columns = await session.walk(list(INPUT_COLUMNS.values()))
        return parse.input_trays({name: columns[column] for name, column in INPUT_COLUMNS.items()})

    async def _alerts(self, session: Session, state: PrinterState, events: int | None,
                      changed: bool) -> list[Alert] | None:
        """The alert table, walked only when prtAlertAllEvents changed since the last poll. Also walked when
        it is absent, when the printer restarted (the counter starts again and could land on the same
        value), when the error bits or hrDeviceStatus changed (RFC 3805 counts alerts added, not removed,
        so a cleared alert may not move the counter), and every `alert_refresh_polls` polls."""
        state.polls_since_walk += 1
        if (state.alerts is not None and events is not None and events == state.alert_events and not changed
                and state.polls_since_walk < self.alert_refresh_polls):
            return state.alerts
        state.polls_since_walk = 0
        columns = await session.walk(list(ALERT_COLUMNS.values()))
        state.alert_walks += 1
        state.alerts = parse.alerts({name: columns[column] for name, column in ALERT_COLUMNS.items()},
                                    boot_epoch=state.boot_epoch)
        state.alert_events = events
        return state.alerts

    async def _counters(self, session: Session, state: PrinterState, life: int | None,
                        mono: bool) -> dict[str, int] | None:
        """prtMarkerLifeCount plus the PWG counter cells and Lexmark's named counters: which cells exist is
        learnt once per printer (a walk of icKeyServiceType and of Lexmark's counter names), then each
        poll reads them with GETs of at most GET_CHUNK objects."""
        if state.counter_cells is None:
            columns = await session.walk([oids.IC_KEY_SERVICE_TYPE], max_rows=64)
            cells = parse.pwg_cells(columns[oids.IC_KEY_SERVICE_TYPE])
            if state.vendor == "Lexmark":
                names = await session.walk([oids.LEXMARK_COUNTER_NAMES], max_rows=256)
                for cell, name in parse.lexmark_cells(names[oids.LEXMARK_COUNTER_NAMES]).items():
                    cells.setdefault(cell, name)
            state.counter_cells = cells
        cells = state.counter_cells
        values: dict[oids.Oid, Value] = {}
        wanted = list(cells)
        for start in range(0, len(wanted), GET_CHUNK):
            values.update(await session.get(wanted[start:start + GET_CHUNK]))
        if cells and not values:
            state.counter_cells = None           # the printer's tables changed (firmware update): relearn
        found = parse.counters(life, cells, values, mono=mono)
        return found or None
