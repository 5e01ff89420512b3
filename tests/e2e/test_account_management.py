"""Account Management in a real browser: create a user, import the guide's sample CSV, assign a role."""
from pathlib import Path

import pytest

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
DATA = Path(__file__).resolve().parent.parent / "data"


def test_admin_creates_a_user_with_a_manual_password(page, org_admin, acme):
    sign_in(page, "admin@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/account/users/")
    page.click("text=+ Create")
    assert page.locator("[data-testid=password-field]").is_hidden()  # only for "Set password manually"
    page.fill("input[name=email]", "New.Person@acme.test")
    page.fill("input[name=first_name]", "New")
    page.fill("input[name=last_name]", "Person")
    page.check("input[name=set_password][value=manual]")
    page.fill("input[name=password]", "weak")
    page.click("button:has-text('Create User')")
    assert "at least 8 characters" in page.locator("[data-testid=errors-password]").inner_text()
    page.check("input[name=set_password][value=manual]")
    page.fill("input[name=password]", "Strong-pass1!")
    page.click("button:has-text('Create User')")
    page.wait_for_selector("text=new.person@acme.test")
    user = User.objects.get(email="new.person@acme.test")
    assert user.organization == acme and user.check_password("Strong-pass1!")


def test_admin_imports_the_guides_sample_file(page, org_admin, acme):
    make_user(acme, "llane@company.com", first_name="L")
    make_user(acme, "ckent@company.com")
    sign_in(page, "admin@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/account/users/")
    page.click("[data-testid=user-import]")
    page.set_input_files("input[type=file]", str(DATA / "guide_users.csv"))
    page.check("input[name=send_password_links]")
    page.click("button:has-text('Import Users')")
    page.wait_for_selector("[data-testid=import-status] >> text=Done")
    jdoe = User.objects.get(email="jdoe@company.com")
    assert (jdoe.first_name, jdoe.display_name) == ("John", "Johnny")
    assert list(jdoe.member_of.values_list("name", flat=True)) == ["Group 1"]
    assert not User.objects.filter(email="ckent@company.com").exists()
    # the llane row breaks the password policy: reported with its line number, nothing changed
    body = page.inner_text("main")
    assert "3" in body and "llane@company.com" in body
    assert User.objects.get(email="llane@company.com").first_name == "L"


def test_admin_assigns_a_role_to_a_user(page, org_admin, member, acme):
    sign_in(page, "admin@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/account/users/{member.pk}/roles/assign/")
    page.check("input[name=roles][value=fleet_management_administrator]")
    assert "1 of" in page.locator("[data-testid=assign-roles-form] [data-selected-count]").nth(1).inner_text()
    page.click("button:has-text('Assign Roles')")
    page.wait_for_selector("text=Fleet Management Administrator")
    assert member.role_assignments.filter(role="fleet_management_administrator").exists()
