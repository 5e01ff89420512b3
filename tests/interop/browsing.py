"""The browser's steps both federation round trips share: sign-in page, dashboard, refusal page and log, and a
printer authenticating a badge at the device API."""
import re
from urllib.parse import urlsplit

import requests

from accounts.choices import ApplicationKind
from accounts.services import applications

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFUSED = 'data-testid="federation-refused"'


def csrf_of(response) -> str:
    return CSRF.search(response.text).group(1)


def post_login(browser, base, **fields):
    page = browser.get(f"{base}/accounts/login/", timeout=10)
    return browser.post(f"{base}/accounts/login/", data={"csrfmiddlewaretoken": csrf_of(page), "next": "", **fields},
                        allow_redirects=False, timeout=10)


def assert_on_dashboard(response, name):
    assert response.status_code == 200, response.text[:300]
    assert urlsplit(response.url).path.startswith("/dashboard/"), response.url
    assert name in response.text


def signed_in(browser, base) -> bool:
    return browser.get(f"{base}/dashboard/", allow_redirects=False, timeout=10).status_code == 200


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lexcloud.federation" and "refused" in r.getMessage()]


def assert_refused(response, caplog, reason):
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert REFUSED in response.text
    assert any(reason in m.split("reason=", 1)[-1] for m in refusals(caplog)), refusals(caplog)


def badge_login(base, org, badge) -> dict:
    """A printer of `org` (its own application, client-credentials token) authenticates `badge`."""
    app, secret = applications.create_application(org, "Lobby printer", kind=ApplicationKind.DEVICE)
    with requests.Session() as printer:
        printer.trust_env = False
        token = printer.post(f"{base}/oauth/token", timeout=10, json={
            "grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
        assert token.status_code == 200, token.text
        printer.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        response = printer.post(f"{base}/api/device/v1/authenticate", timeout=10,
                                json={"method": "badge", "badge": badge})
    assert response.status_code == 200, response.text
    return response.json()
