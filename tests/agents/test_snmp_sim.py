"""Discovery, identification and polling against the printer simulator over real UDP on loopback (port 0:
the simulator picks a free port, so parallel runs do not collide)."""
import asyncio
import math
import os
import shutil
import subprocess
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from agents.protocol import LevelState, PrinterStatus, Severity
from agents.simulator import SimulatedFleet, UsmUser
from agents.simulator.mib import served_supply
from agents.snmp import Backoff, Poller, Profile, close_engine, discover, expand, identify, mib_walk
from fleet.services.counters import advance

FAST = {"timeout": 0.3, "retries": 0}


def run(coro):
    """Run a coroutine on a fresh loop and close that loop's SNMP engine."""
    async def main():
        try:
            return await coro
        finally:
            close_engine()
    return asyncio.run(main())


def fleet_of(models, first="127.0.7.1", **options):
    return SimulatedFleet(printers=len(models), first_address=first, port=0, community="public", seed=3,
                          models=models, **options)


def profile(fleet, version="v2c", name="Test", **options):
    return Profile(name=name, version=version, port=fleet.port, **{**FAST, **options})


# ---------------------------------------------------------------------------------------------- discovery
def test_discovery_over_a_range_skips_dead_addresses_and_a_wrong_community():
    fleet = fleet_of(["CX735de", "MS431", "VersaLink C405", "MX622ade"], first="127.0.7.1")
    fleet.devices[3].community = "not-public"
    with fleet.running():
        clock = [1000.0]
        backoff = Backoff(base=600, clock=lambda: clock[0])
        targets = expand([{"address": "127.0.7.1-127.0.7.7", "profile": "Test"}], [],
                         {"Test": profile(fleet)})
        found = run(discover(targets, concurrency=10, delay_ms=5, backoff=backoff))
        assert [d.identity.serial for d in found] == [d.serial for d in fleet.devices[:3]]
        assert [d.address for d in found] == ["127.0.7.1", "127.0.7.2", "127.0.7.3"]
        assert all(d.profile.name == "Test" and d.identity.profile == "Test" for d in found)
        dead = ["127.0.7.4", "127.0.7.5", "127.0.7.6", "127.0.7.7"]       # .4 answers another community only
        assert [backoff.failures(a) for a in dead] == [1, 1, 1, 1] and backoff.failures("127.0.7.1") == 0
        again = run(discover(targets, concurrency=10, delay_ms=0, backoff=backoff))   # dead ones skipped
        assert len(again) == 3 and all(backoff.skip(a) for a in dead)
        fleet.devices[3].community = "public"
        clock[0] += 601                                                  # back-off over: probed, found
        third = run(discover(targets, concurrency=10, delay_ms=0, backoff=backoff))
        assert [d.address for d in third][-1] == "127.0.7.4" and backoff.failures("127.0.7.4") == 0


def test_exclusion_criteria_and_a_second_profile_for_the_same_address():
    fleet = fleet_of(["CX735de", "MS431", "CS622"], first="127.0.7.21")
    fleet.devices[2].community = "site"
    with fleet.running():
        profiles = {"Test": profile(fleet), "Site": profile(fleet, name="Site", community="site")}
        targets = expand([{"address": "127.0.7.21-127.0.7.23", "profile": "Test"},
                          {"address": "127.0.7.23", "profile": "Site"}],
                         [{"address": "127.0.7.22"}], profiles)
        found = run(discover(targets, delay_ms=0))
        assert [(d.address, d.profile.name) for d in found] == \
            [("127.0.7.21", "Test"), ("127.0.7.23", "Site")]


def test_identification_of_lexmark_and_third_party_models():
    models = ["CX735de", "VersaLink C405", "LaserJet Pro M404dn", "IM C3000", "HL-L6200DW", "ECOSYS M3655idn"]
    fleet = fleet_of(models, first="127.0.7.31")
    with fleet.running():
        async def all_identities():
            return [await identify(d.address, profile(fleet)) for d in fleet.devices]
        for device, identity in zip(fleet.devices, run(all_identities()), strict=True):
            assert identity is not None, device.model.full_name
            assert (identity.serial, identity.model, identity.manufacturer) == \
                (device.serial, device.model.name, device.model.vendor)
            assert identity.mac == device.mac.upper() and identity.ip == device.address
            assert (identity.hostname, identity.location, identity.contact) == \
                (device.hostname, device.location, device.contact)
            assert identity.sys_object_id == device.model.sys_object_id
        lexmark = run(identify(fleet.devices[0].address, profile(fleet)))
        assert lexmark.firmware == fleet.devices[0].firmware


# ---------------------------------------------------------------------------------------------- polling
def supplies_of(device):
    """The percent an agent can compute from what the printer serves (whole units remaining, rounded up)."""
    levels = {}
    for supply in device.supplies:
        _unit, maximum, level = served_supply(device, supply)
        levels[str(supply.index)] = math.ceil(level * 100 / maximum) if level >= 0 and maximum > 0 else level
    return levels


def alerts_of(device):
    return {str(a["index"]): (a["description"], str(a["code"]),
                              Severity.ERROR if a["severity"] == "critical" else Severity.WARNING)
            for a in device.alerts_view()}


def test_a_poll_reports_what_the_printer_holds():
    fleet = fleet_of(["CX735de", "MX622ade", "MS431", "Color LaserJet Pro MFP M479fdw"], first="127.0.7.41")
    with fleet.running():
        device = fleet.devices[0]
        device.print_pages(120, color=True)
        device.jam()
        poller = Poller()
        discovered = run(discover([(d.address, profile(fleet)) for d in fleet.devices], delay_ms=0))

        async def poll_all():
            return [await poller.poll(d.address, d.profile, d.identity.serial, vendor=d.identity.manufacturer,
                                      identity=asdict(d.identity)) for d in discovered]
        reports = run(poll_all())
        assert [(r.serial, r.model, r.mac) for r in reports] == \
            [(d.serial, d.model.name, d.mac) for d in fleet.devices]
        for dev, report in zip(fleet.devices, reports, strict=True):
            name = dev.model.full_name
            assert report.counters == dev.counters, name
            assert {s.key: s.level for s in report.supplies} == supplies_of(dev), name
            assert {a.key: (a.description, a.code, a.severity) for a in report.alerts} == alerts_of(dev), name
            assert report.status == dev.status, name
            assert report.error_state == dev.error_state, name
            assert report.uptime == dev.uptime_ticks // 100
        jammed = reports[0]
        assert jammed.status == PrinterStatus.ERROR and "jammed" in jammed.error_state
        assert jammed.status_text and jammed.alerts[0].group == "mediaPath"
        assert {s.color for s in jammed.supplies if s.type == "Toner"} == \
            {"Black", "Cyan", "Magenta", "Yellow"}
        assert all(s.capacity and s.unit == "Sides" for s in jammed.supplies if s.type == "Toner")
        assert [t.name for t in poller.state[dev.serial].trays]                      # trays are kept


def test_the_alert_table_is_walked_only_when_prtAlertAllEvents_changes():
    fleet = fleet_of(["CX735de"], first="127.0.7.51")
    with fleet.running():
        device, poller = fleet.devices[0], Poller()

        async def three_polls():
            first = await poller.poll(device.address, profile(fleet), device.serial)
            requests = poller.requests
            second = await poller.poll(device.address, profile(fleet), device.serial)
            quiet = (requests, poller.requests - requests)
            device.jam()
            third = await poller.poll(device.address, profile(fleet), device.serial)
            return first, second, quiet, third
        first, second, quiet, third = run(three_polls())
        state = poller.state[device.serial]
        assert state.alert_walks == 2                      # first poll, then only after the jam
        assert first.alerts == second.alerts == [] and quiet[1] < quiet[0]
        assert [a.code for a in third.alerts] == ["8"]
        device.clear_alerts()
        assert run(poller.poll(device.address, profile(fleet), device.serial)).alerts == []
        assert state.alert_walks == 3
        device.open_door()
        door = run(poller.poll(device.address, profile(fleet), device.serial))
        assert [a.code for a in door.alerts] == ["3"]
        with fleet.lock:          # a printer that does not count removals (RFC 3805 counts alerts added)
            events = device.alert_all_events
            device.alerts.clear()
            device._changed()
        assert device.alert_all_events == events
        closed = run(poller.poll(device.address, profile(fleet), device.serial))
        assert closed.alerts == []                                 # seen: the error bits moved


def test_counter32_wrap_is_reported_raw_and_the_server_reads_it_as_a_wrap():
    fleet = fleet_of(["MS431"], first="127.0.7.61")
    with fleet.running():
        device, poller = fleet.devices[0], Poller()
        device.preset_counters(2**32 - 10)
        before = run(poller.poll(device.address, profile(fleet), device.serial))
        device.print_pages(20)
        after = run(poller.poll(device.address, profile(fleet), device.serial))
        assert before.counters["lifetimeCount"] == 2**32 - 10 and after.counters["lifetimeCount"] == 10
        assert after.counters == device.counters
        at = datetime(2026, 12, 3, 12, tzinfo=UTC)
        folded = advance({}, before.counters, after.counters, at)
        assert "lifetimeCount" in folded.wrapped and folded.values["lifetimeCount"] == 2**32 + 10


def test_special_supply_levels_and_vendor_quirks():
    fleet = fleet_of(["SP 5300DN", "HL-L6200DW", "MX722", "ECOSYS M3655idn", "iR-ADV C5535"],
                     first="127.0.7.71")
    with fleet.running():
        poller = Poller()

        async def poll_all():
            return [await poller.poll(d.address, profile(fleet), d.serial) for d in fleet.devices]
        ricoh, brother, lexmark, kyocera, canon = run(poll_all())
        # Ricoh serves -3 in the Printer-MIB and the real percentage in its private MIB
        assert {s.key: s.level for s in ricoh.supplies} == \
            {str(s.index): s.percent for s in fleet.devices[0].supplies}
        # Brother: codes with capacity -2 (0 ok → "some remaining")
        assert brother.supplies and all(
            (s.level, s.level_state) in ((None, LevelState.SOME), (5, ""), (1, ""), (0, ""))
            for s in brother.supplies)
        # Lexmark waste bottle: -3 "some remaining"; Kyocera waste: -2 unknown
        waste = next(s for s in lexmark.supplies if s.type == "Waste Toner")
        assert (waste.level, waste.level_state, waste.status) == (None, LevelState.SOME, "Ok")
        waste = next(s for s in kyocera.supplies if s.type == "Waste Toner")
        assert (waste.level, waste.level_state) == (None, LevelState.UNKNOWN)
        assert all(s.level in (100, 10, 1, 0) for s in canon.supplies)        # three-stage levels as they are
        device = fleet.devices[0]
        device.set_supply_level("black", 0)                                   # Ricoh: -100 in the Printer-MIB
        empty = run(poller.poll(device.address, profile(fleet), device.serial))
        black = next(s for s in empty.supplies if s.color == "Black")
        assert (black.level, black.level_state, black.status) == (0, "", "Empty")


def test_malformed_values_leave_fields_empty_and_a_silent_printer_is_offline():
    fleet = fleet_of(["Color LaserJet Pro MFP M479fdw", "MS431"], first="127.0.7.81")
    with fleet.running():
        broken, silent = fleet.devices
        broken.fault, silent.fault = "malformed", "timeout"
        poller = Poller()
        report = run(poller.poll(broken.address, profile(fleet), broken.serial))
        assert "lifetimeCount" not in report.counters                  # served as "123 pages"
        assert report.counters["printSideCount"] == broken.counters["printSideCount"]
        assert report.supplies[0].level is None and report.supplies[0].level_state == ""
        assert report.supplies[1].level == broken.supplies[1].percent
        assert report.error_state == [] and report.status in PrinterStatus.ALL
        offline = run(poller.poll(silent.address, profile(fleet), silent.serial))
        assert offline.status == PrinterStatus.OFFLINE
        assert offline.supplies is None and offline.alerts is None and offline.counters is None
        silent.fault, silent.delay = "slow", 0.2
        assert run(poller.poll(silent.address, profile(fleet, timeout=0.1), silent.serial)).status == \
            PrinterStatus.OFFLINE
        slow = run(poller.poll(silent.address, profile(fleet, timeout=1), silent.serial))
        assert slow.status != PrinterStatus.OFFLINE and slow.counters == silent.counters


def test_snmp_v1_polls_with_getnext_and_reads_the_same_values():
    fleet = fleet_of(["CX735de"], first="127.0.7.91")
    with fleet.running():
        device = fleet.devices[0]
        device.open_door()
        v1 = run(Poller().poll(device.address, profile(fleet, "v1"), device.serial))
        v2 = run(Poller().poll(device.address, profile(fleet), device.serial))
        assert v1.counters == v2.counters == device.counters
        assert [(s.key, s.level) for s in v1.supplies] == [(s.key, s.level) for s in v2.supplies]
        assert [a.key for a in v1.alerts] == [a.key for a in v2.alerts] and v1.status == v2.status
        identity = run(identify(device.address, profile(fleet, "v1")))
        assert identity.serial == device.serial


def test_snmp_v3_auth_priv_poll_and_a_wrong_key():
    user = UsmUser("fleet", auth="SHA", auth_key="auth-secret-1", priv="AES", priv_key="priv-secret-1")
    fleet = fleet_of(["CX735de", "VersaLink C405"], first="127.0.7.101", users=[user])
    with fleet.running():
        good = profile(fleet, "v3", security_level="authPriv", username="fleet", auth_protocol="SHA",
                       auth_key="auth-secret-1", privacy_protocol="AES", privacy_key="priv-secret-1")
        bad = profile(fleet, "v3", security_level="authPriv", username="fleet", auth_protocol="SHA",
                      auth_key="wrong-secret", privacy_protocol="AES", privacy_key="priv-secret-1")
        found = run(discover([(d.address, good) for d in fleet.devices], delay_ms=0))
        assert [d.identity.serial for d in found] == [d.serial for d in fleet.devices]
        device = fleet.devices[0]
        report = run(Poller().poll(device.address, good, device.serial))
        assert report.counters == device.counters and report.status == device.status
        assert run(discover([(device.address, bad)], delay_ms=0)) == []
        walk = run(mib_walk(device.address, good, "1.3.6.1.2.1.1"))
        assert f'.1.3.6.1.2.1.1.5.0 = STRING: "{device.hostname}"' in walk.splitlines()


# ---------------------------------------------------------------------------------------------- MIB walk
def net_snmp_walk(address, port, root):
    """net-snmp's own walk of the same subtree, numeric OIDs and no MIB files."""
    result = subprocess.run(["snmpwalk", "-v2c", "-c", "public", "-On", "-m", "", "-t", "2", "-r", "1",
                             f"{address}:{port}", root], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "MIBS": "", "MIBDIRS": ""})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("snmpwalk") is None and not os.environ.get("LEXCLOUD_REQUIRE_SERVICES"),
                    reason="needs snmpwalk (Debian package snmp)")
def test_mib_walk_reads_like_net_snmp():
    fleet = fleet_of(["CX735de", "LaserJet Pro M404dn"], first="127.0.7.111")
    with fleet.running():
        for device in fleet.devices:
            device.jam()
            ours = run(mib_walk(device.address, profile(fleet, timeout=2)))
            theirs = net_snmp_walk(device.address, fleet.port, ".1.3.6.1")
            assert ours.splitlines() == \
                [line for line in theirs.splitlines() if "No more variables" not in line]
            assert ".1.3.6.1.2.1.43.5.1.1.17.1" in ours or device.model.has("no_printer_mib_serial")
        v1 = run(mib_walk(fleet.devices[0].address, profile(fleet, "v1", timeout=2), "1.3.6.1.2.1.43.11"))
        theirs = net_snmp_walk(fleet.devices[0].address, fleet.port, ".1.3.6.1.2.1.43.11")
        assert v1.splitlines() == theirs.splitlines()
