"""Roles API: the catalog with what each role grants and whether the organization may assign it."""
from rest_framework.test import APIClient


def test_role_catalog_lists_permissions_and_assignability(org_admin, acme):
    acme.entitlements = ["account", "print"]
    acme.save()
    client = APIClient()
    client.force_login(org_admin)
    roles = {r["code"]: r for r in client.get(f"/api/v1/organizations/{acme.pk}/roles/").json()}
    assert roles["help_desk"]["category"] == "system" and roles["help_desk"]["assignable"] is True
    assert "users.view" in roles["help_desk"]["permissions"]
    assert roles["print_release_management_user"]["assignable"] is True
    assert roles["scan_management_user"]["assignable"] is False
    assert roles["ocr_user"]["name"] == "OCR User"


def test_role_catalog_of_an_unseen_organization_answers_404(globex_admin, acme):
    client = APIClient()
    client.force_login(globex_admin)
    assert client.get(f"/api/v1/organizations/{acme.pk}/roles/").status_code == 404


def test_role_catalog_needs_the_account_management_portal(member, acme):
    client = APIClient()
    client.force_login(member)
    assert client.get(f"/api/v1/organizations/{acme.pk}/roles/").status_code == 403
