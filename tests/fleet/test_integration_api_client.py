"""Done when (issue 8): a client that knows only the guide — Retrieve Token with the JSON body, then every
endpoint with `Authorization: Bearer`, paging through all pages with `page` and `size` — reads every printer of
a partner and its child organizations exactly once per endpoint, and every answer validates against its JSON
Schema. Over real HTTP against the live server, with nothing but the standard library."""
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from accounts.services.organizations import create_organization
from tests.fleet.test_integration_api_fixtures import (
    ENDPOINTS,
    LEGACY,
    PREFIX,
    full_printer,
    integration_app,
    validate,
)

SIZE = 7


class GuideClient:
    """What a connector written from the guide's appendix does; only the base URLs are lexcloud's."""

    def __init__(self, idp_url: str, service_url: str, client_id: str, client_secret: str):
        self.idp_url, self.service_url = idp_url, service_url
        self.client_id, self.client_secret = client_id, client_secret
        self.token = None

    def _open(self, request):
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def retrieve_token(self) -> dict:
        body = json.dumps({"grant_type": "client_credentials", "client_id": self.client_id,
                           "client_secret": self.client_secret}).encode()
        status, data = self._open(urllib.request.Request(self.idp_url + "/oauth/token", data=body, method="POST",
                                                         headers={"Content-Type": "application/json"}))
        assert status == 200, data
        self.token = data["access_token"]
        return data

    def get(self, path: str, **params):
        query = ("?" + urllib.parse.urlencode(params)) if params else ""
        request = urllib.request.Request(self.service_url + path + query,
                                         headers={"Authorization": f"Bearer {self.token}"})
        return self._open(request)

    def all_pages(self, path: str, schema: str) -> list[dict]:
        assets, page = [], 0
        while True:
            status, body = self.get(path, page=page, size=SIZE)
            assert status == 200, body
            validate(schema, body)
            assert body["number"] == page and body["numberOfElements"] == len(body["content"])
            assets.extend(body["content"])
            if body["last"]:
                assert page == body["totalPages"] - 1 and len(assets) == body["totalElements"]
                return assets
            page += 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service_prefix", [PREFIX, ""])
def test_a_guide_client_reads_every_printer_exactly_once(live_server, service_prefix):
    partner = create_organization("Partner Co", kind="partner")
    children = [create_organization(f"Customer {i}", parent=partner) for i in range(2)]
    outsider = create_organization("Outsider")
    expected = set()
    for i in range(24):
        org = (partner, *children)[i % 3]
        full_printer(org, f"{org.name[:4].upper()}-{i:03d}", ip=f"127.0.4.{i + 1}")
        expected.add(f"{org.name[:4].upper()}-{i:03d}")
    full_printer(outsider, "OUTSIDER-1")
    app, secret = integration_app(partner)

    client = GuideClient(live_server.url, live_server.url + service_prefix, app.client_id, secret)
    validate("token", client.retrieve_token())
    for path, schema in ENDPOINTS.items():
        serials = [asset["serialNumber"] for asset in client.all_pages(path, schema)]
        assert len(serials) == len(set(serials)) == len(expected), path   # each printer exactly once
        assert set(serials) == expected, path
    status, legacy = client.get(LEGACY)
    assert status == 200
    validate("inventory-counters", legacy)
    assert sorted(item["serialNumber"] for item in legacy) == sorted(expected)
