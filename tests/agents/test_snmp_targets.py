"""Discovery criteria expansion (the server's address formats), the loopback-only rule, SNMP profiles from
the definition, and the per-address back-off."""
import asyncio
import logging

import pytest

from agents.protocol import PrinterStatus
from agents.snmp import (
    Backoff,
    CriteriaError,
    Poller,
    Profile,
    ProfileError,
    Session,
    SnmpError,
    close_engine,
    expand,
    mib_walk,
    profiles_from_definition,
)
from agents.snmp.targets import MAX_RANGE_ADDRESSES, targets_from_definition

DEFAULT = Profile(name="Default", is_default=True)
SITE = Profile(name="Site 1", version="v2c", community="site", timeout=2, retries=0, port=16161)
PROFILES = {"Default": DEFAULT, "Site 1": SITE}


def addresses(pairs):
    return [address for address, _ in pairs]


def test_single_address_wildcard_and_range_expand_in_criteria_order():
    pairs = expand([{"address": "127.0.1.7", "profile": "Site 1"}, {"address": "127.0.2.*", "profile": ""},
                    {"address": "127.0.3.250-127.0.4.2"}], [], PROFILES)
    found = addresses(pairs)
    assert found[0] == "127.0.1.7" and pairs[0][1] is SITE
    assert found[1:257] == [f"127.0.2.{i}" for i in range(256)]
    assert found[257:] == ["127.0.3.250", "127.0.3.251", "127.0.3.252", "127.0.3.253", "127.0.3.254",
                           "127.0.3.255", "127.0.4.0", "127.0.4.1", "127.0.4.2"]
    assert all(profile is DEFAULT for _, profile in pairs[1:])


def test_two_octet_wildcard_covers_a_slash_16():
    assert len(expand([{"address": "127.9.*.*"}], [], PROFILES)) == 65536


def test_exclusions_of_every_format_remove_addresses():
    pairs = expand([{"address": "127.0.1.*"}],
                   [{"address": "127.0.1.5"}, {"address": "127.0.1.10-127.0.1.19"}, {"address": "127.0.0.*"},
                    {"address": "127.0.1.128-127.0.2.255"}], PROFILES)
    found = set(addresses(pairs))
    assert "127.0.1.5" not in found and not any(f"127.0.1.{i}" in found for i in range(10, 20))
    assert "127.0.1.4" in found and "127.0.1.20" in found and "127.0.1.127" in found
    assert len(found) == 128 - 1 - 10


def test_same_address_with_two_profiles_is_kept_once_per_profile():
    pairs = expand([{"address": "127.0.1.1", "profile": "Site 1"},
                    {"address": "127.0.1.1", "profile": "Default"},
                    {"address": "127.0.1.1", "profile": "site 1"}], [], PROFILES)
    assert [(a, p.name) for a, p in pairs] == [("127.0.1.1", "Site 1"), ("127.0.1.1", "Default")]


# The non-loopback addresses below are documentation addresses (RFC 5737, 192.0.2.0/24): expand() only computes
# targets from them (and refuses them without allow_non_loopback); no packet is ever sent to them.
def test_addresses_outside_loopback_are_skipped_with_a_log_line(caplog):
    caplog.set_level(logging.WARNING, logger="agents.snmp")
    pairs = expand([{"address": "192.0.2.27"}, {"address": "192.0.2.*"},
                    {"address": "126.255.255.254-127.0.0.1"},
                    {"address": "127.0.0.9"}], [], PROFILES)
    assert addresses(pairs) == ["127.0.0.0", "127.0.0.1", "127.0.0.9"]
    assert "192.0.2.27" in caplog.text and "outside 127.0.0.0/8" in caplog.text
    assert "126.255.255.254-127.0.0.1" in caplog.text


def test_non_loopback_is_expanded_only_when_allowed():
    pairs = expand([{"address": "192.0.2.3-192.0.2.5"}], [{"address": "192.0.2.4"}], PROFILES,
                   allow_non_loopback=True)
    assert addresses(pairs) == ["192.0.2.3", "192.0.2.5"]


def test_ipv6_loopback_is_accepted():
    assert addresses(expand([{"address": "::1"}], [], PROFILES)) == ["::1"]
    assert expand([{"address": "2001:db8::1"}], [], PROFILES) == []


def test_host_names_resolve_through_the_hosts_file_only(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.1.44 printer-a printer-a.lab.example\n192.0.2.3 far-away\n", encoding="utf-8")
    pairs = expand([{"address": "printer-a.lab.example"}, {"address": "far-away"}, {"address": "localhost"},
                    {"address": "unknown.example.com"}], [], PROFILES, hosts_path=str(hosts))
    assert addresses(pairs) == ["127.0.1.44", "127.0.0.1"]


def test_an_oversized_range_is_refused_with_a_clear_error():
    with pytest.raises(CriteriaError, match=f"at most {MAX_RANGE_ADDRESSES} addresses"):
        expand([{"address": "127.0.0.0-127.1.0.0"}], [], PROFILES)


@pytest.mark.parametrize("bad", ["127.0.*.5", "127.*.0.*", "127.0.0.300", "127.0.0.9-127.0.0.1",
                                 "not an address!"])
def test_malformed_criteria_are_refused(bad):
    with pytest.raises(CriteriaError):
        expand([{"address": bad}], [], PROFILES)


def test_unknown_profile_names_use_the_default_profile():
    (_, profile), = expand([{"address": "127.0.0.5", "profile": "Gone"}], [], PROFILES)
    assert profile is DEFAULT


def test_profiles_and_targets_from_a_definition_document():
    definition = {
        "snmp_profiles": [
            {"name": "Default", "default": True, "version": "v1", "community": "public", "security_level": "",
             "username": "", "auth_protocol": "", "auth_key": "", "privacy_protocol": "", "privacy_key": "",
             "timeout": 15, "retries": 1, "port": 161},
            {"name": "Site 1", "default": False, "version": "v3", "community": "",
             "security_level": "authPriv",
             "username": "fleet", "auth_protocol": "SHA256", "auth_key": "auth-secret-1",
             "privacy_protocol": "AES", "privacy_key": "priv-secret-1", "timeout": 15, "retries": 3,
             "port": 16161}],
        "criteria": {"include": [{"address": "127.0.1.1-127.0.1.3", "profile": "Site 1"}],
                     "exclude": [{"address": "127.0.1.2"}]},
        "network_delay_ms": 250,
    }
    profiles = profiles_from_definition(definition)
    assert profiles["Default"].is_default and profiles["Default"].version == "v1"
    site = profiles["Site 1"]
    assert (site.version, site.security_level, site.retries, site.port) == ("v3", "authPriv", 3, 16161)
    assert "secret" not in repr(site)
    pairs = targets_from_definition(definition, profiles)
    assert [(a, p.name) for a, p in pairs] == [("127.0.1.1", "Site 1"), ("127.0.1.3", "Site 1")]


@pytest.mark.parametrize("given,expected", [("v1", "v1"), ("1", "v1"), ("2c", "v2c"), ("V2C", "v2c"),
                                            ("v3", "v3")])
def test_profile_versions_as_the_definition_or_a_config_file_says(given, expected):
    extra = {"username": "u", "security_level": "noAuthNoPriv"} if expected == "v3" else {}
    assert Profile.from_definition({"version": given, **extra}).version == expected


def test_profile_defaults_match_the_default_profile():
    profile = Profile.from_definition({"name": "Default"})
    assert (profile.version, profile.community, profile.timeout, profile.retries, profile.port) == \
        ("v1", "public", 15, 1, 161)


@pytest.mark.parametrize("doc", [{"version": "v4"}, {"version": "v3"}, {"timeout": 0.0001, "retries": 21},
                                 {"version": "v3", "username": "u", "security_level": "authPriv",
                                  "auth_key": "short", "privacy_key": "long-enough"}])
def test_unusable_profiles_are_refused(doc):
    with pytest.raises(ProfileError):
        Profile.from_definition({"retries": 21} if "retries" in doc else doc)


def test_backoff_grows_and_clears_on_an_answer():
    now = [1000.0]
    backoff = Backoff(base=60, maximum=300, clock=lambda: now[0])
    assert not backoff.skip("127.0.0.2")
    backoff.failed("127.0.0.2")
    assert backoff.skip("127.0.0.2")
    now[0] += 61
    assert not backoff.skip("127.0.0.2")
    backoff.failed("127.0.0.2")            # second failure: 120 s
    now[0] += 100
    assert backoff.skip("127.0.0.2")
    now[0] += 21
    assert not backoff.skip("127.0.0.2")
    for _ in range(10):
        backoff.failed("127.0.0.2")
    assert backoff.wait(backoff.failures("127.0.0.2")) == 300   # capped
    restored = Backoff(base=60, maximum=300, clock=lambda: now[0], state=backoff.state())
    assert restored.skip("127.0.0.2")
    restored.succeeded("127.0.0.2")
    assert not restored.skip("127.0.0.2") and restored.failures("127.0.0.2") == 0


def test_requests_outside_loopback_are_refused_before_any_packet():
    async def attempts():
        try:
            with pytest.raises(SnmpError, match="outside 127.0.0.0/8"):
                await Session.open("192.0.2.10", DEFAULT)
            with pytest.raises(SnmpError, match="outside 127.0.0.0/8"):
                await mib_walk("192.0.2.10", DEFAULT)
            with pytest.raises(SnmpError, match="not an IP address"):
                await Session.open("printer.example.com", DEFAULT)
            report = await Poller().poll("192.0.2.10", DEFAULT, "S1")
            assert report.status == PrinterStatus.OFFLINE and report.supplies is None
        finally:
            close_engine()
    asyncio.run(attempts())
