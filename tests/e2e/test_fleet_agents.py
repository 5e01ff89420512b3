"""The Agents pages in a real browser: create a Fleet Agent with an Include criterion and an SNMPv3 profile
through its tabbed form and see its activation code; pre-enroll serial numbers (typed and from a file) and
remove one."""
import os
from pathlib import Path

import pytest

from fleet.models import Agent, PreEnrollment
from fleet.services import agents as agent_services
from fleet.services import native
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("LEXCLOUD_SCREENSHOTS")   # a folder: save screenshots of the pages for review


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def fleet_admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


def test_create_a_fleet_agent_with_a_criterion_and_a_v3_profile(page, acme, fleet_admin):
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/agents/?section=fleet")
    assert "There are no fleet agents." in page.inner_text("[data-testid=agents-empty]")
    shot(page, "agents-fleet-empty")
    page.click("[data-testid=fleet-agent-create]")
    page.fill("#id_name", "Fleet Agent - Site 4")
    page.fill("#id_description", "Second floor")

    # SNMP Profile tab: + Create → an SNMPv3 profile
    page.click("[data-testid=tab-snmp]")
    assert page.locator("[data-testid=panel-criteria]").is_hidden()
    page.click("[data-testid=profile-dialog] summary")
    page.fill("#id_profile-name", "Site 1")
    page.check("input[name=profile-version][value=v3]")
    assert page.locator("#id_profile-community").is_hidden()     # v1/v2c only
    page.select_option("#id_profile-security_level", "authPriv")
    page.fill("#id_profile-username", "fleet")
    page.select_option("#id_profile-auth_protocol", "SHA256")
    page.fill("#id_profile-auth_key", "auth-secret")
    page.select_option("#id_profile-privacy_protocol", "AES")
    page.fill("#id_profile-privacy_key", "priv-secret")
    page.fill("#id_profile-retries", "3")
    page.click("[data-testid=profile-save]")
    rows = page.locator("[data-testid=profiles-table] tbody tr")
    assert rows.count() == 2 and "Site 1" in rows.nth(1).inner_text() and "V3" in rows.nth(1).inner_text()
    assert page.input_value("#id_name") == "Fleet Agent - Site 4"      # kept across the round trip
    shot(page, "fleet-agent-form-snmp")

    # Discovery Criteria tab: Advanced Search, Add Discovery Criteria to Include with the new profile
    page.click("[data-testid=tab-criteria]")
    page.check("input[name=search_type][value=advanced]")
    page.fill("#id_include-address", "127.0.100.*")
    page.select_option("#id_include-profile", "Site 1")
    page.click("[data-testid=criteria-include-add]")
    table = page.locator("[data-testid=criteria-include-table]")
    assert "127.0.100.*" in table.inner_text() and "Site 1" in table.inner_text()
    page.fill("#id_include-address", "10.20.*.5")
    page.click("[data-testid=criteria-include-add]")
    assert "is not a valid address" in page.inner_text("[data-testid=criteria-include-address-errors]")
    shot(page, "fleet-agent-form-criteria")

    page.click("[data-testid=tab-tasks]")
    page.select_option("#id_refresh_interval", "120")
    page.click("[data-testid=tab-other]")
    assert "We do not recommend setting the value to zero." in page.inner_text("[data-testid=network-delay-warning]")
    shot(page, "fleet-agent-form-other")
    page.click("[data-testid=fleet-agent-save]")

    page.wait_for_selector("[data-testid=activation-code]")
    agent = Agent.objects.get(organization=acme, name="Fleet Agent - Site 4")
    code = agent_services.current_activation_code(agent)
    assert page.inner_text("[data-testid=activation-code]") == code.code
    assert "Expires: 2 days 23 hours" in page.inner_text("[data-testid=activation-code-expiry]")
    assert "ACTIVATION REQUIRED" in page.inner_text("[data-testid=activation-banner]")
    assert page.inner_text("[data-testid=agent-status-section] [data-testid=agent-status]") == "Activation required"
    shot(page, "fleet-agent-details")
    criterion = agent.criteria.get()
    assert (criterion.kind, criterion.address, criterion.profile.name) == ("include", "127.0.100.*", "Site 1")
    profile = agent.snmp_profiles.get(name="Site 1")
    assert (profile.version, profile.auth_key, profile.privacy_key, profile.retries) == ("v3", "auth-secret",
                                                                                         "priv-secret", 3)
    assert agent.refresh_interval == 120


def test_pre_enroll_serials_by_hand_and_from_a_file_then_remove_one(page, acme, fleet_admin, tmp_path):
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/agents/?section=native")
    shot(page, "agents-native-empty")
    page.click("[data-testid=agents-empty] [data-testid=native-pre-enroll]")
    page.fill("#id_serials", "50285510100t1\n7015207200004")
    page.click("[data-testid=pre-enroll-submit]")
    page.wait_for_selector("[data-testid=agents-table]")
    code = native.enrollment_code(acme).code
    assert f"2 printers pre-enrolled. Enrollment code: {code}" in page.inner_text(".messages")
    assert page.locator("[data-testid=pre-enrolled-row]").count() == 2

    serials = tmp_path / "serials.csv"
    serials.write_text("Serial Number\nABC1234\n7015207200004\n")
    page.click("[data-testid=enrollment-menu] summary")
    assert page.inner_text("[data-testid=enrollment-menu] [data-testid=enrollment-code]") == code
    page.click("[data-testid=enrollment-menu] [data-testid=native-pre-enroll]")
    page.check("input[name=source][value=file]")
    page.set_input_files("#id_file", str(serials))
    page.click("[data-testid=pre-enroll-submit]")
    page.wait_for_selector("[data-testid=agents-table]")
    assert "1 printer pre-enrolled. 1 duplicate serial number ignored." in page.inner_text(".messages")
    assert page.locator("[data-testid=pre-enrolled-row]").count() == 3
    shot(page, "agents-native")

    page.click("[data-testid=enrollment-menu] summary")
    page.click("[data-testid=enrollment-menu] [data-testid=native-pre-enroll-remove]")
    page.check("input[aria-label='Select 7015207200004']")
    page.click("[data-testid=pre-enroll-remove-submit]")
    page.wait_for_selector("[data-testid=agents-table]")
    assert "1 pre-enrolled printer removed." in page.inner_text(".messages")
    assert set(PreEnrollment.objects.filter(organization=acme).values_list("serial", flat=True)) == {
        "50285510100t1", "ABC1234"}
    assert "7015207200004" not in page.inner_text("[data-testid=agents-table]")
