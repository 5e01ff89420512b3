"""The printer simulator: device model, dynamics, quirks, faults and the SNMP responder (over real UDP,
read with pysnmp, the library the agents use). net-snmp interop is in test_simulator_netsnmp.py."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from agents.protocol import COUNTER_SET
from agents.simulator import SimulatedFleet, SimulatorError, ber, catalog, load_scenario, loopback_addresses
from agents.simulator.mib import (
    HR_SYSTEM_UPTIME,
    PRT_ALERT,
    PRT_ALERT_ALL_EVENTS,
    PRT_MARKER_LIFE_COUNT,
    PRT_MARKER_POWER_ON_COUNT,
    PRT_SERIAL,
    PRT_SUPPLIES,
    SYS_UPTIME,
    XEROX_TOTAL_IMPRESSIONS,
    counter_oids,
)
from tests.agents.simulator_support import fleet_range, make_fleet, pysnmp_bulk_walk, pysnmp_get

LIFE = ".".join(map(str, PRT_MARKER_LIFE_COUNT))


# ---------------------------------------------------------------------------------------------- model
def test_catalog_has_lexmark_and_third_party_models_with_quirks():
    models = catalog()
    lexmark = [m for m in models if m.vendor == "Lexmark"]
    others = [m for m in models if m.vendor != "Lexmark"]
    assert len(lexmark) >= 20 and len(others) >= 5
    assert {m.kind for m in lexmark} == {"mono printer", "mono MFP", "color printer", "color MFP"}
    assert {m.vendor for m in others} >= {"HP", "Canon", "Xerox", "Ricoh", "Brother"}
    assert any(not m.pwg_counters for m in others)
    assert all(m.sys_object_id.startswith(f"1.3.6.1.4.1.{m.enterprise}") for m in models)


def test_same_seed_same_fleet_and_unique_identities():
    one = SimulatedFleet(printers=50, first_address="127.0.1.1", seed=3)
    two = SimulatedFleet(printers=50, first_address="127.0.1.1", seed=3)
    assert [(d.model.name, d.serial, d.mac) for d in one.devices] == [(d.model.name, d.serial, d.mac)
                                                                       for d in two.devices]
    assert len({d.serial for d in one.devices}) == 50 and len({d.mac for d in one.devices}) == 50
    assert one.devices[0].oid_table() == two.devices[0].oid_table()


def test_addresses_stay_in_loopback_and_skip_network_and_broadcast():
    addresses = loopback_addresses("127.0.1.250", 10)
    assert addresses[:5] == ["127.0.1.250", "127.0.1.251", "127.0.1.252", "127.0.1.253", "127.0.1.254"]
    assert addresses[5] == "127.0.2.1"
    assert len(loopback_addresses("127.0.1.1", 10_000)) == 10_000


# Addresses the simulator must refuse before it opens any socket: documentation addresses (RFC 5737), never contacted.
@pytest.mark.parametrize("address", ["192.0.2.1", "198.51.100.10", "0.0.0.0", "::1", "printer.local"])
def test_refuses_a_first_address_outside_loopback(address):
    with pytest.raises(SimulatorError, match="loopback|IPv4"):
        SimulatedFleet(printers=1, first_address=address)


def test_refuses_running_past_the_end_of_loopback():
    with pytest.raises(SimulatorError, match="past the end"):
        SimulatedFleet(printers=10, first_address="127.255.255.250")


def test_counters_use_the_guide_names_and_follow_the_capabilities():
    fleet = SimulatedFleet(printers=1, models=["CX735de"])
    mono = SimulatedFleet(printers=1, models=["MS631"]).devices[0]
    color_mfp = fleet.devices[0]
    assert set(color_mfp.counters) <= COUNTER_SET
    assert {"colorCopySideCount", "faxSideCount", "totalScanCount", "colorPrintSideCount"} <= set(color_mfp.counters)
    assert not any("color" in n.lower() or "copy" in n.lower() for n in mono.counters)
    counters = color_mfp.counters
    assert counters["printSideCount"] == counters["colorPrintSideCount"] + counters["monoPrintSideCount"]
    assert counters["totalSideCount"] == counters["printSideCount"] + counters["copySideCount"] + counters["faxSideCount"]
    assert counters["lifetimeCount"] == counters["totalSideCount"]


def test_print_pages_grow_counters_and_use_toner_and_paper():
    dev = SimulatedFleet(printers=1, models=["CX735de"]).devices[0]
    dev.refill_tray()
    before, table = dict(dev.counters), dev.oid_table()
    black = dev.supply("black").remaining
    dev.print_pages(100, color=True)
    dev.print_pages(10, duplex=True)
    after = dev.counters
    assert after["colorPrintSideCount"] - before["colorPrintSideCount"] == 100
    assert after["monoPrintSheetCount"] - before["monoPrintSheetCount"] == 5
    assert after["duplexSideCount"] - before["duplexSideCount"] == 10
    assert after["lifetimeCount"] - before["lifetimeCount"] == 110
    assert dev.oid_table()[LIFE] == table[LIFE] + 110
    assert dev.supply("black").remaining == pytest.approx(black - 110)
    assert dev.trays[0].level == dev.trays[0].capacity - 105


def test_counter32_wraps_on_the_wire():
    dev = SimulatedFleet(printers=1, models=["CX735de"]).devices[0]
    dev.preset_counters(2**32 - 10)
    assert dev.oid_table()[LIFE] == 2**32 - 10
    dev.print_pages(25)
    assert dev.oid_table()[LIFE] == 15
    assert dev.counters["lifetimeCount"] == 15
    assert dev.totals["lifetimeCount"] == 2**32 + 15
    # PWG IcCounter32 is 0..2**31-1: it wrapped long before
    oid = counter_oids(dev)["printSideCount"]
    assert dev.oid_table()[oid] == dev.totals["printSideCount"] % 2**31 == dev.counters["printSideCount"]
    totals = dev.totals
    assert totals["printSideCount"] == totals["monoPrintSideCount"] + totals["colorPrintSideCount"]
    assert totals["totalSideCount"] == totals["lifetimeCount"]
    assert dev.oid_table()[PRT_MARKER_POWER_ON_COUNT] == 25          # the preset is not a power-on count


def test_reboot_resets_uptime_power_on_counters_and_alert_events():
    fleet = SimulatedFleet(printers=1, models=["MX622ade"])
    dev = fleet.devices[0]
    fleet.tick(0)  # no-op
    fleet.clock += 3600
    dev.print_pages(40)
    dev.jam()
    dev.empty_tray(1)
    assert dev.oid_table()[SYS_UPTIME] == 360000
    assert dev.oid_table()[PRT_MARKER_POWER_ON_COUNT] == 40
    lifetime = dev.oid_table()[LIFE]
    dev.reboot()
    table = dev.oid_table()
    assert table[SYS_UPTIME] == 0 and table[HR_SYSTEM_UPTIME] == 0
    assert table[PRT_MARKER_POWER_ON_COUNT] == 0 and table[LIFE] == lifetime
    assert table[PRT_ALERT_ALL_EVENTS] == 1                  # the tray alert survives, renumbered
    assert [a["kind"] for a in dev.alerts_view()] == ["tray_empty"]
    assert dev.engine_boots == 2 and dev.printer_status == 5  # warmup until the next tick
    fleet.tick(60)
    assert dev.oid_table()[SYS_UPTIME] == 6000


def test_supplies_deplete_raise_alerts_and_get_replaced():
    dev = SimulatedFleet(printers=1, models=["MS631"]).devices[0]
    black = dev.supply("black")
    serial = black.serial
    dev.set_supply_level("black", 5)
    assert [a["kind"] for a in dev.alerts_view()] == ["supply_low"]
    assert "lowToner" in dev.error_state and dev.status == "warning"
    events = dev.oid_table()[PRT_ALERT_ALL_EVENTS]
    dev.print_pages(int(black.remaining) + 10)
    kinds = [a["kind"] for a in dev.alerts_view()]
    assert "supply_empty" in kinds and "supply_low" not in kinds     # (the paper ran out too)
    assert "noToner" in dev.error_state and dev.status == "error"
    assert dev.oid_table()[PRT_ALERT_ALL_EVENTS] > events
    level_oid = PRT_SUPPLIES + (9, 1, black.index)
    assert dev.oid_table()[level_oid] == 0
    replaced = dev.replace_supply("black")
    dev.refill_tray()
    assert replaced.serial != serial and dev.oid_table()[level_oid] == replaced.capacity
    assert dev.alerts_view() == [] and dev.status == "printing"   # hrPrinterStatus printing(4) until a tick


def test_alerts_appear_and_clear_and_alert_events_count_each_change():
    dev = SimulatedFleet(printers=1, models=["CX625ade"]).devices[0]
    table = dev.oid_table()
    assert table[PRT_ALERT_ALL_EVENTS] == 0 and not any(o[:len(PRT_ALERT)] == PRT_ALERT for o in table)
    dev.jam()
    dev.open_door()
    table = dev.oid_table()
    assert table[PRT_ALERT_ALL_EVENTS] == 2
    assert table[PRT_ALERT + (7, 1, 1)] == 8 and table[PRT_ALERT + (7, 1, 2)] == 3  # jam, coverOpen
    assert table[PRT_ALERT + (2, 1, 1)] == 3                                            # critical
    assert set(dev.error_state) == {"jammed", "doorOpen"}
    assert table[(1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1)] == bytes([0b00001100, 0])
    assert table[(1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5, 1)] == 5                             # hrDeviceStatus down
    dev.clear_alerts()
    assert dev.oid_table()[PRT_ALERT_ALL_EVENTS] == 4 and dev.alerts_view() == []
    assert dev.error_state == [] and dev.status == "ready"


def test_tick_prints_with_the_scenario_activity_and_is_deterministic():
    def run():
        fleet = SimulatedFleet(printers=20, first_address="127.0.1.1", seed=11)
        for _ in range(24):
            fleet.tick(3600)
        return fleet

    one, two = run(), run()
    assert [d.totals for d in one.devices] == [d.totals for d in two.devices]
    fresh = SimulatedFleet(printers=20, first_address="127.0.1.1", seed=11)
    grown = sum(d.totals["lifetimeCount"] for d in one.devices) - sum(d.totals["lifetimeCount"]
                                                                       for d in fresh.devices)
    assert grown > 20 * 24 * 5


def test_quirks_of_third_party_models():
    table = {name: SimulatedFleet(printers=1, models=[name]).devices[0] for name in
             ("IM C3000", "MFC-L8900CDW", "VersaLink C405", "LaserJet Pro M404dn", "iR-ADV C5535")}
    ricoh, brother, xerox, hp, canon = table.values()
    levels = lambda dev: [v for o, v in dev.oid_table().items() if o[:len(PRT_SUPPLIES) + 1] == PRT_SUPPLIES + (9,)]  # noqa: E731
    assert set(levels(ricoh)) == {-3}
    ricoh.print_pages(int(ricoh.supply("black").remaining) + 1)
    assert -100 in levels(ricoh)
    assert set(levels(brother)) <= {0, 1, 2, 3}
    assert all(v == -2 for o, v in brother.oid_table().items() if o[:len(PRT_SUPPLIES) + 1] == PRT_SUPPLIES + (8,))
    assert set(levels(canon)) <= {100, 10, 1, 0}
    assert PRT_SERIAL not in xerox.oid_table()
    assert xerox.oid_table()["1.3.6.1.4.1.253.8.53.3.2.1.3.1"] == xerox.serial
    assert xerox.oid_table()[XEROX_TOTAL_IMPRESSIONS] == xerox.oid_table()[LIFE] - 4
    assert "\n" in hp.oid_table()[PRT_SUPPLIES + (6, 1, 1)]
    assert set(hp.counters) == {"lifetimeCount"}                       # no PWG counter MIB, no private data
    assert ricoh.oid_table()[(1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 24, 1, 1, 5, 1)] == ricoh.supply("black").percent


def test_malformed_fault_serves_wrong_types_and_drops_objects():
    dev = SimulatedFleet(printers=1, models=["MS631"]).devices[0]
    good = dev.oid_table()
    dev.fault = "malformed"
    bad = dev.oid_table()
    assert isinstance(good[LIFE], int) and bad[LIFE] == f"{good[LIFE]} pages"
    assert bad[PRT_SUPPLIES + (9, 1, 1)] == "unknown"
    assert PRT_SERIAL not in bad and (1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2, 1) not in bad
    dev.fault = None
    assert dev.oid_table() == good


def test_scenario_file_and_overrides(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("""
printers = 6
first_address = "127.0.3.1"
port = 16500
seed = 5
[models]
third_party_share = 1.0
[activity]
pages_per_hour = 100
[[snmpv3.users]]
name = "u"
auth = "SHA"
auth_key = "authpass123"
[[faults]]
printers = [2, 3]
fault = "timeout"
[[faults]]
printer = 4
community = "private"
""")
    scenario = load_scenario(path)
    fleet = SimulatedFleet.from_scenario(scenario, printers=5)
    assert len(fleet.devices) == 5 and fleet.port == 16500
    assert all(d.model.vendor != "Lexmark" for d in fleet.devices)
    assert [d.fault for d in fleet.devices] == [None, "timeout", "timeout", None, None]
    assert fleet.devices[3].community == "private"
    assert fleet.activity.pages_per_hour == 100 and fleet.users[0].auth == "SHA"
    demo = load_scenario("demo")
    assert demo.printers == 10 and demo.first_address == "127.0.1.1" and demo.port == 16161
    with pytest.raises(ValueError, match="unknown"):
        load_scenario({"printerz": 3})


# ---------------------------------------------------------------------------------------------- serving
def test_serves_v2c_get_and_bulk_walk_matching_the_oid_table():
    fleet = make_fleet(3, models=["CX735de", "MS631", "IM C3000"])
    with fleet.running():
        for dev in fleet.devices:
            error, status, values = pysnmp_get(dev.address, fleet.port, ["1.3.6.1.2.1.1.5.0", LIFE])
            assert not error and not status
            assert str(values["1.3.6.1.2.1.1.5.0"]) == dev.hostname
            assert int(values[LIFE]) == dev.oid_table()[LIFE]
        dev = fleet.devices[0]
        rows = pysnmp_bulk_walk(dev.address, fleet.port, "1.3.6.1.2.1.43.11")
        expected = {o: v for o, v in dev.oid_table().items() if o[:7] == (1, 3, 6, 1, 2, 1, 43) and o[7] == 11}
        assert [ber.parse_oid(o) for o, _ in rows] == sorted(expected)
        assert [int(v) if isinstance(expected[ber.parse_oid(o)], int) else str(v) for o, v in rows] == \
            [expected[k] for k in sorted(expected)]
        dev.print_pages(7)
        _e, _s, values = pysnmp_get(dev.address, fleet.port, [LIFE])
        assert int(values[LIFE]) == dev.oid_table()[LIFE]


def test_v1_and_v2c_error_semantics():
    fleet = make_fleet(1)
    with fleet.running():
        dev = fleet.devices[0]
        _e, status, _v = pysnmp_get(dev.address, fleet.port, ["1.3.6.1.2.1.1.99.0"], version=0)
        assert status.prettyPrint() == "noSuchName"
        error, status, values = pysnmp_get(dev.address, fleet.port, ["1.3.6.1.2.1.1.99.0", "1.3.6.1.2.1.1.5.99"])
        assert not error and not status
        assert [type(v).__name__ for v in values.values()] == ["NoSuchObject", "NoSuchInstance"]


def test_snmpv3_users_and_empty_digest_rejected():
    from pysnmp.hlapi.v3arch.asyncio import UsmUserData, usmAesCfb128Protocol, usmHMACSHAAuthProtocol

    from agents.simulator import UsmUser

    fleet = make_fleet(2, users=[UsmUser("mon", auth="SHA", auth_key="authpass123", priv="AES",
                                         priv_key="privpass123")])
    with fleet.running():
        dev = fleet.devices[1]
        user = UsmUserData("mon", "authpass123", "privpass123", authProtocol=usmHMACSHAAuthProtocol,
                           privProtocol=usmAesCfb128Protocol)
        error, status, values = pysnmp_get(dev.address, fleet.port, ["1.3.6.1.2.1.43.5.1.1.17.1"], user=user)
        assert not error and not status and str(values["1.3.6.1.2.1.43.5.1.1.17.1"]) == dev.serial
        wrong = UsmUserData("mon", "wrongpass99", "privpass123", authProtocol=usmHMACSHAAuthProtocol,
                            privProtocol=usmAesCfb128Protocol)
        error, _s, _v = pysnmp_get(dev.address, fleet.port, ["1.3.6.1.2.1.1.5.0"], user=wrong)
        assert error
        # a hand-made authNoPriv request with an empty digest gets a usmStatsWrongDigests report, no data
        reply = _udp(dev.address, fleet.port, _v3_get(dev.engine_id, dev.engine_boots, b"mon", b"", "1.3.6.1.2.1.1.5.0"))
        assert reply is not None and bytes(ber.encode_oid((1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0))) in reply
        assert dev.hostname.encode() not in reply
        assert fleet.responder.usm.stats["wrong_digest"] >= 1


def test_snmpv3_getbulk_fits_the_requesters_max_message_size():
    from agents.simulator import UsmUser

    fleet = make_fleet(1, users=[UsmUser("open")])
    with fleet.running():
        dev = fleet.devices[0]
        big = _udp(dev.address, fleet.port, _v3_get(dev.engine_id, 0, b"open", b"", "1.3.6.1", flags=0x04,
                                                       tag=ber.GETBULK, repetitions=100))
        small = _udp(dev.address, fleet.port, _v3_get(dev.engine_id, 0, b"open", b"", "1.3.6.1", flags=0x04,
                                                         tag=ber.GETBULK, repetitions=100, max_size=484))
        assert big is not None and small is not None
        assert len(small) <= 484 < len(big)
        assert dev.sys_descr.encode() in small


def _v3_get(engine_id: bytes, boots: int, user: bytes, digest: bytes, oid: str, *, flags: int = 0x05,
            tag: int = ber.GET, repetitions: int = 0, max_size: int = 65507) -> bytes:
    """A hand-made v3 message (flags 0x05 = auth + reportable, without a valid digest)."""
    pdu = ber.encode_pdu(tag, 42, 0, repetitions, [ber.encode_varbind(ber.parse_oid(oid), b"\x05\x00")])
    scoped = ber.tlv(ber.SEQUENCE, ber.encode_octets(engine_id) + ber.encode_octets(b"") + pdu)
    security = ber.tlv(ber.SEQUENCE, ber.encode_octets(engine_id) + ber.encode_integer(boots) + ber.encode_integer(0)
                       + ber.encode_octets(user) + ber.encode_octets(digest) + ber.encode_octets(b""))
    header = ber.tlv(ber.SEQUENCE, ber.encode_integer(7) + ber.encode_integer(max_size)
                     + ber.encode_octets(bytes([flags])) + ber.encode_integer(3))
    return ber.tlv(ber.SEQUENCE, ber.encode_integer(3) + header + ber.encode_octets(security) + scoped)


def _udp(address: str, port: int, payload: bytes, timeout: float = 1.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (address, port))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


def test_faults_timeout_wrong_community_and_slow():
    fleet = make_fleet(3)
    fleet.devices[0].fault = "timeout"
    fleet.devices[2].fault = "slow"
    fleet.devices[2].delay = 0.3
    with fleet.running():
        error, _s, _v = pysnmp_get(fleet.devices[0].address, fleet.port, ["1.3.6.1.2.1.1.5.0"], timeout=0.3)
        assert "timeout" in str(error).lower() or "no snmp response" in str(error).lower()
        error, _s, _v = pysnmp_get(fleet.devices[1].address, fleet.port, ["1.3.6.1.2.1.1.5.0"],
                                   community="wrong", timeout=0.3)
        assert error
        assert fleet.responder.stats.dropped_community >= 1
        error, _s, _v = pysnmp_get(fleet.devices[2].address, fleet.port, ["1.3.6.1.2.1.1.5.0"], timeout=0.1)
        assert error
        error, _s, values = pysnmp_get(fleet.devices[2].address, fleet.port, ["1.3.6.1.2.1.1.5.0"], timeout=2)
        assert not error and str(values["1.3.6.1.2.1.1.5.0"]) == fleet.devices[2].hostname
        fleet.devices[0].fault = None
        error, _s, _v = pysnmp_get(fleet.devices[0].address, fleet.port, ["1.3.6.1.2.1.1.5.0"])
        assert not error


def test_a_thousand_printers_start_and_answer():
    fleet = make_fleet(1000, first_address=f"127.{__import__('random').randrange(160, 240)}.0.1")
    with fleet.running():
        for dev in (fleet.devices[0], fleet.devices[499], fleet.devices[-1]):
            reply = _udp(dev.address, fleet.port, ber.encode_community_message(
                1, b"public", ber.encode_pdu(ber.GET, 1, 0, 0, [ber.encode_varbind(PRT_SERIAL, b"\x05\x00")])))
            assert reply is not None and (dev.serial.encode() in reply or PRT_SERIAL not in dev.oid_table())
        _e, _s, values = pysnmp_get(fleet.devices[-1].address, fleet.port, ["1.3.6.1.2.1.1.5.0"])
        assert str(values["1.3.6.1.2.1.1.5.0"]) == fleet.devices[-1].hostname
    assert fleet.devices[-1].address.endswith(".3.238")  # 3 * 254 + 238: x.y.z.0 and x.y.z.255 are skipped


def test_too_few_file_descriptors_is_a_clear_error():
    from agents.simulator.responder import raise_file_limit

    with pytest.raises(SimulatorError, match="open files are needed"):
        raise_file_limit(10**9)
    assert raise_file_limit(100) >= 100


def test_port_in_use_is_a_clear_error():
    first = fleet_range()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind((first, 0))
        port = blocker.getsockname()[1]
        with pytest.raises(SimulatorError, match="in use"):
            SimulatedFleet(printers=2, first_address=first, port=port).start()


def test_cli_serves_and_stops_on_sigterm(tmp_path):
    first = fleet_range()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((first, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "agents.simulator.cli", "--scenario", "demo", "--printers", "3",
                                "--first-address", first, "--port", str(port), "--speed", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 15
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "serving 3 simulated printers" in line:
                break
        assert any("serving 3 simulated printers" in line for line in lines), lines
        reply = _udp(first, port, ber.encode_community_message(
            1, b"public", ber.encode_pdu(ber.GET, 1, 0, 0, [ber.encode_varbind((1, 3, 6, 1, 2, 1, 1, 1, 0), b"\x05\x00")])))
        assert reply is not None and b"Lexmark" in reply or b"version" in reply
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_refuses_a_non_loopback_address():
    result = subprocess.run([sys.executable, "-m", "agents.simulator.cli", "--first-address", "198.51.100.10",
                             "--port", "16161"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "loopback" in result.stderr
