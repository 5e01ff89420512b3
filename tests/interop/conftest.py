"""Fixtures of the federation round trips: identity providers on loopback over plain http, a Finance group with
a role for the groups claim, and `requests` sessions playing the browser (never through an environment proxy)."""
import pytest
import requests

from accounts.services import groups as group_services
from accounts.services import roles as role_services


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = True


@pytest.fixture
def finance(acme):
    group = group_services.create_group(acme, "Finance")
    role_services.assign_group_roles(group, ["print_release_management_user"])
    return group


@pytest.fixture
def make_browser():
    sessions = []

    def make():
        session = requests.Session()
        session.trust_env = False  # loopback only, never through a proxy from the environment
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def browser(make_browser):
    return make_browser()
