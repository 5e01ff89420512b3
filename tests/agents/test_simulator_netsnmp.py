"""The simulator checked with an SNMP client the project did not write: net-snmp's snmpwalk, snmpbulkwalk and
snmpget (Debian package `snmp`), v1, v2c and v3, compared with `dev.oid_table()`."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from agents.simulator import UsmUser, ber
from agents.simulator.mib import (
    PRT_ALERT,
    PRT_ALERT_ALL_EVENTS,
    PRT_MARKER_LIFE_COUNT,
    PRT_SUPPLIES,
    SYS_UPTIME,
)
from tests.agents.simulator_support import make_fleet

if not shutil.which("snmpwalk"):
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail("net-snmp's snmpwalk is missing (apt-get install snmp)", pytrace=False)
    pytest.skip("needs net-snmp's snmpwalk/snmpbulkwalk (apt-get install snmp)", allow_module_level=True)

USERS = [UsmUser("sha-aes", auth="SHA", auth_key="authpass123", priv="AES", priv_key="privpass123"),
         UsmUser("md5-des", auth="MD5", auth_key="authpass123", priv="DES", priv_key="privpass123"),
         UsmUser("auth-only", auth="SHA", auth_key="authpass123"),
         UsmUser("no-auth")]
V3 = {"sha-aes": ["-v3", "-l", "authPriv", "-u", "sha-aes", "-a", "SHA", "-A", "authpass123", "-x", "AES", "-X",
                  "privpass123"],
      "md5-des": ["-v3", "-l", "authPriv", "-u", "md5-des", "-a", "MD5", "-A", "authpass123", "-x", "DES", "-X",
                  "privpass123"],
      "auth-only": ["-v3", "-l", "authNoPriv", "-u", "auth-only", "-a", "SHA", "-A", "authpass123"],
      "no-auth": ["-v3", "-l", "noAuthNoPriv", "-u", "no-auth"]}
OUTPUT = ["-On", "-Ox", "-Ot", "-Oe", "-m", "", "-t", "1", "-r", "1"]
LIFE = ".".join(map(str, PRT_MARKER_LIFE_COUNT))


@pytest.fixture(scope="module")
def fleet():
    fleet = make_fleet(6, models=["CX735de", "MS631", "LaserJet Pro M404dn", "IM C3000", "VersaLink C405",
                                  "MFC-L8900CDW"], users=USERS)
    with fleet.running():
        yield fleet


def run(tool: str, fleet, dev, *args: str, auth=("-v2c", "-c", "public")) -> subprocess.CompletedProcess:
    return subprocess.run([tool, *auth, *OUTPUT, f"{dev.address}:{fleet.port}", *args], capture_output=True,
                          text=True, timeout=60)


def parse(text: str) -> dict:
    """net-snmp output (-On -Ox -Ot) → {oid tuple: value}; long hex strings continue on following lines."""
    raw: dict = {}
    current = None
    for line in text.splitlines():
        if line.startswith("."):
            oid, _, rest = line.partition(" = ")
            current = None
            if rest.startswith(("No more variables", "No Such")):
                continue
            current = ber.parse_oid(oid)
            raw[current] = rest.strip()
        elif current is not None and line.strip() != "End of MIB":    # v1 walks end with this line
            raw[current] += " " + line.strip()
    return {oid: _value(text) for oid, text in raw.items()}


def _value(text: str):
    kind, _, rest = text.partition(": ")
    if kind in ("INTEGER", "Counter32", "Gauge32", "Counter64", "Timeticks"):
        return int(rest)
    if kind == "Hex-STRING":
        return bytes.fromhex(rest)
    if text == '""':
        return b""
    if kind == "STRING":
        return rest.strip('"').encode()
    if kind == "OID":
        return ber.parse_oid(rest)
    if kind == "IpAddress":
        return rest
    if text.isdigit():            # Timeticks with -Ot
        return int(text)
    raise AssertionError(f"unexpected net-snmp value {text!r}")


def expected(dev) -> dict:
    """The printer's table in the shapes `parse` produces."""
    out = {}
    for oid, (kind, value) in dev.typed_oid_table().items():
        if kind == "STRING":
            out[oid] = value.encode() if isinstance(value, str) else bytes(value)
        elif kind == "OID":
            out[oid] = ber.parse_oid(value) if isinstance(value, str) else tuple(value)
        else:
            out[oid] = value
    return out


@pytest.mark.parametrize("tool,auth", [
    ("snmpwalk", ("-v1", "-c", "public")),
    ("snmpwalk", ("-v2c", "-c", "public")),
    ("snmpbulkwalk", ("-v2c", "-c", "public", "-Cr25")),
    ("snmpbulkwalk", tuple(V3["sha-aes"])),
    ("snmpwalk", tuple(V3["md5-des"])),
    ("snmpbulkwalk", tuple(V3["auth-only"])),
    ("snmpbulkwalk", tuple(V3["no-auth"])),
], ids=["v1-walk", "v2c-walk", "v2c-bulkwalk", "v3-sha-aes", "v3-md5-des", "v3-authnopriv", "v3-noauth"])
def test_full_walk_matches_the_oid_table(fleet, tool, auth):
    for dev in fleet.devices[:3] if tool == "snmpbulkwalk" and auth[0] == "-v2c" else fleet.devices[:1]:
        result = run(tool, fleet, dev, ".", auth=auth)
        assert result.returncode == 0, result.stderr
        assert parse(result.stdout) == expected(dev)


def test_quirky_models_walk_like_their_tables(fleet):
    for dev in fleet.devices[3:]:
        result = run("snmpbulkwalk", fleet, dev, ".", auth=("-v2c", "-c", "public", "-Cr50"))
        assert result.returncode == 0, result.stderr
        assert parse(result.stdout) == expected(dev)


def test_getbulk_non_repeaters_and_repetitions(fleet):
    dev = fleet.devices[0]
    result = run("snmpbulkget", fleet, dev, "-Cn1", "-Cr3", "1.3.6.1.2.1.1.1", "1.3.6.1.2.1.43.11.1.1.9")
    assert result.returncode == 0, result.stderr
    got = parse(result.stdout)
    table = expected(dev)
    levels = sorted(o for o in table if o[:11] == PRT_SUPPLIES + (9,))[:3]
    assert list(got) == [(1, 3, 6, 1, 2, 1, 1, 1, 0), *levels]
    assert all(got[o] == table[o] for o in got)


def test_counters_grow_and_wrap_as_snmpget_sees(fleet):
    dev = fleet.devices[0]

    def life():
        result = run("snmpget", fleet, dev, LIFE)
        return parse(result.stdout)[PRT_MARKER_LIFE_COUNT]

    start = life()
    dev.print_pages(33, color=True)
    assert life() == start + 33
    dev.preset_counters(2**32 - 3)
    assert life() == 2**32 - 3
    dev.print_pages(5)
    assert life() == 2


def test_reboot_supplies_and_alerts_as_net_snmp_sees(fleet):
    dev = fleet.devices[1]
    fleet.tick(120)
    uptime = ".".join(map(str, SYS_UPTIME))
    assert parse(run("snmpget", fleet, dev, uptime).stdout)[SYS_UPTIME] >= 12000
    dev.reboot()
    assert parse(run("snmpget", fleet, dev, uptime).stdout)[SYS_UPTIME] == 0

    level = PRT_SUPPLIES + (9, 1, 1)
    dev.set_supply_level("black", 0)
    assert parse(run("snmpget", fleet, dev, ber.format_oid(level)).stdout)[level] == 0
    dev.replace_supply("black")
    assert parse(run("snmpget", fleet, dev, ber.format_oid(level)).stdout)[level] == dev.supply("black").capacity

    events = ber.format_oid(PRT_ALERT_ALL_EVENTS)
    before = parse(run("snmpget", fleet, dev, events).stdout)[PRT_ALERT_ALL_EVENTS]
    dev.jam()
    alerts = parse(run("snmpbulkwalk", fleet, dev, ber.format_oid(PRT_ALERT)).stdout)
    assert parse(run("snmpget", fleet, dev, events).stdout)[PRT_ALERT_ALL_EVENTS] == before + 1
    jam = [a for a in dev.alerts_view() if a["kind"] == "jam"][0]
    assert alerts[PRT_ALERT + (7, 1, jam["index"])] == 8
    assert alerts[PRT_ALERT + (8, 1, jam["index"])] == jam["description"].encode()
    dev.clear_alerts()
    assert parse(run("snmpget", fleet, dev, events).stdout)[PRT_ALERT_ALL_EVENTS] == before + 2
    assert not any(o[:len(PRT_ALERT)] == PRT_ALERT for o in parse(
        run("snmpbulkwalk", fleet, dev, ber.format_oid(PRT_ALERT)).stdout))


def test_faults_seen_by_snmpget(fleet):
    dev = fleet.devices[2]
    quick = ("-t", "0.3", "-r", "0")
    try:
        dev.fault = "timeout"
        result = subprocess.run(["snmpget", "-v2c", "-c", "public", *quick, f"{dev.address}:{fleet.port}", LIFE],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and "Timeout" in result.stderr + result.stdout
        dev.fault = None
        result = subprocess.run(["snmpget", "-v2c", "-c", "wrong", *quick, f"{dev.address}:{fleet.port}", LIFE],
                                capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and "Timeout" in result.stderr + result.stdout
        dev.fault = "malformed"
        result = run("snmpget", fleet, dev, LIFE, "1.3.6.1.2.1.43.5.1.1.17.1")
        values = parse(result.stdout)
        assert values[PRT_MARKER_LIFE_COUNT].endswith(b" pages")
        assert (1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1) not in values
    finally:
        dev.fault = None


def test_v3_wrong_password_and_unknown_user_fail(fleet):
    dev = fleet.devices[0]
    wrong = list(V3["auth-only"])
    wrong[wrong.index("authpass123")] = "not-the-password"
    result = run("snmpget", fleet, dev, "1.3.6.1.2.1.1.5.0", auth=tuple(wrong))
    assert result.returncode != 0 and "Authentication failure" in result.stderr
    result = run("snmpget", fleet, dev, "1.3.6.1.2.1.1.5.0", auth=("-v3", "-l", "noAuthNoPriv", "-u", "stranger"))
    assert result.returncode != 0 and "Unknown user name" in result.stderr
