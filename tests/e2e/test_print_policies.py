"""Print policies in a real browser: an administrator enables print policies, creates one forcing mono and
two-sided printing with a time limit (dependent settings appear only when their box is checked), duplicates it,
assigns the copy to a user and removes it again."""
from datetime import time

import pytest

from printmgmt.models import PrintPolicy, PrintPolicyAssignment
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_enable_create_duplicate_assign_and_remove_a_print_policy(page, acme):
    make_user(acme, "ada@acme.test", ["print_release_management_administrator"], first_name="Ada")
    make_user(acme, "dan@acme.test", ["print_release_management_user"], first_name="Dan")
    sign_in(page, "ada@acme.test", PASSWORD)

    # Administration > Organizational Settings > Enable print policies
    page.goto(f"/o/{acme.pk}/print/")
    page.click("[data-testid=nav-administration]")
    assert page.locator("[data-testid=nav-policies]").count() == 0
    page.click("[data-testid=nav-settings]")
    page.check("#id_policies_enabled")
    page.click("[data-testid=settings-save]")
    page.wait_for_selector("text=Organizational settings saved.")

    # Administration > Print Policies: only the Default Print Policy, so "Create Print Policy"
    page.click("[data-testid=nav-administration]")
    page.click("[data-testid=nav-policies]")
    page.wait_for_load_state()   # the click returns once the next page starts loading
    assert page.locator("[data-testid=policy-name]").all_inner_texts() == ["Default Print Policy"]
    page.click("[data-testid=policy-create]:has-text('Create Print Policy')")

    page.fill("#id_name", "Evenings")
    assert not page.locator("#id_mono_min").is_visible()
    page.check("#id_force_mono")
    page.check("#id_mono_min")
    page.fill("#id_mono_min_pages", "3")
    assert not page.locator("input[name=duplex_binding]").first.is_visible()
    page.check("#id_force_duplex")
    page.check("input[name=duplex_binding][value=short_edge]")
    page.check("input[name=duplex_scope][value=color]")
    assert not page.locator("#id_duplex_mono_min").is_visible() and page.locator("#id_duplex_color_min").is_visible()
    page.check("#id_limit_times")
    page.check("input[name=days][value=custom]")          # Custom: a start and end per selected day
    assert not page.locator("#id_start").is_visible() and not page.locator("#id_start_2").is_visible()
    page.check("#id_day_2")
    assert page.locator("#id_start_2").is_visible()
    page.check("input[name=days][value=weekdays]")        # Monday-Friday: one start and end
    assert page.locator("#id_start").is_visible() and not page.locator("#id_day_2").is_visible()
    page.fill("#id_start", "20:00")
    page.fill("#id_end", "02:00")
    page.click("[data-testid=policy-save]")
    page.wait_for_selector("text=Print policy “Evenings” created.")
    row = page.locator("[data-testid=policy-row][data-policy=Evenings]")
    assert row.locator("[data-testid=policy-schedule]").inner_text() == "Monday-Friday 20:00-02:00 (next day)"
    policy = PrintPolicy.objects.get(name="Evenings")
    assert (policy.force_mono, policy.mono_min_pages, policy.duplex_binding) == (True, 3, "short_edge")
    assert [(w.weekday, w.start, w.end) for w in policy.windows.all()] == [(d, time(20), time(2)) for d in range(5)]

    # select it > Duplicate > a unique name > Create Policy
    row.locator("[data-testid=policy-name]").click()
    page.click("[data-testid=policy-duplicate]")
    assert page.input_value("#id_name") == "" and page.is_checked("#id_force_mono")
    page.fill("#id_name", "evenings")
    page.click("[data-testid=policy-save]")
    page.wait_for_selector("text=Type a unique name")
    page.fill("#id_name", "Evenings 2")
    page.click("[data-testid=policy-save]")
    page.wait_for_selector("text=Print policy “Evenings 2” created.")
    assert PrintPolicy.objects.get(name="Evenings 2").windows.count() == 5

    # Print Policy Assignments > Personal > Assign Policy > e-mail, Select print policy > Assign Print Policy
    page.click("[data-testid=nav-administration]")
    page.click("[data-testid=nav-policy-assignments]")
    page.wait_for_load_state()   # the click returns once the next page starts loading
    assert page.locator("[data-testid=tab-personal]").is_visible()
    page.click("[data-testid=policy-assign-open]")
    page.fill("#id_target", "dan@acme.test")
    page.select_option("#id_policy", label="Evenings 2")
    page.click("[data-testid=policy-assign]")
    page.wait_for_selector("text=“Evenings 2” assigned to dan@acme.test.")
    dan_row = page.locator("[data-testid=assignment-row][data-target='dan@acme.test']")
    assert dan_row.locator("[data-testid=assignment-policy]").inner_text() == "Evenings 2"
    assert PrintPolicyAssignment.objects.get().policy.name == "Evenings 2"

    # Print Policy Assigned filter
    page.select_option("[data-testid=policy-filter]", label="Evenings 2")
    page.click("[data-testid=policy-assignments-filter] button")
    assert page.locator("[data-testid=assignment-row]").count() == 1

    # select > Remove Policy > Remove Print Policy
    page.check("[data-testid=assignment-row][data-target='dan@acme.test'] input[name=targets]")
    page.click("[data-testid=policy-remove-open]")
    page.click("[data-testid=policy-remove]")
    page.wait_for_selector("text=Print policy removed from 1 assignment.")
    assert dan_row.locator("[data-testid=assignment-policy]").inner_text() == "Not assigned"
    assert not PrintPolicyAssignment.objects.exists()
