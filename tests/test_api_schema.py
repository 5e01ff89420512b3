"""The OpenAPI document generates without warnings and the docs page is served with local assets."""
import re

import pytest
import yaml
from django.core.management import call_command


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--fail-on-warn")
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for expected in ("/api/v1/organizations/", "/api/v1/organizations/{org_id}/users/",
                     "/api/v1/organizations/{org_id}/groups/", "/api/v1/organizations/{org_id}/roles/",
                     "/api/v1/organizations/{org_id}/user-imports/", "/api/v1/organizations/{org_id}/organization-roles/",
                     "/api/v1/me/", "/api/v1/dashboards/"):
        assert expected in paths, expected


@pytest.mark.django_db
def test_api_docs_page_uses_no_cdn(client, org_admin):
    client.force_login(org_admin)
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert assets and all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    assert "//unpkg" not in html and "jsdelivr" not in html and "cdnjs" not in html
