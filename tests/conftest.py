"""Shared fixtures. The tenancy cast follows Healthchecks: `acme` is the organization under test (a child of
the partner `demo`), `globex` its sibling; personas are built per test from the role catalog."""
import pytest
from django.core import mail  # noqa: F401  (locmem outbox for most tests)

from accounts.choices import GroupKind, OrganizationKind, Service
from accounts.models import User
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from accounts.services.organizations import create_organization
from accounts.services.users import create_user

PASSWORD = "Test-pass1!"
ALL_SERVICES = list(Service.values)


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # each test its own cache (sign-in failure counters must not leak between tests or CI runs)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}
    from lexcloud.celery import app

    app.conf.task_always_eager = True


@pytest.fixture
def partner(db):
    return create_organization("Demo Partner", kind=OrganizationKind.PARTNER, entitlements=ALL_SERVICES)


@pytest.fixture
def acme(partner):
    return create_organization("Acme", parent=partner, entitlements=ALL_SERVICES)


@pytest.fixture
def globex(partner):
    return create_organization("Globex", parent=partner, entitlements=ALL_SERVICES)


def make_user(org, email, roles=(), password=PASSWORD, **profile) -> User:
    user = create_user(org, email, password=password, send_password_link=False, **profile)
    if roles:
        role_services.assign_user_roles(user, list(roles))
    return user


@pytest.fixture
def org_admin(acme):
    return make_user(acme, "admin@acme.test", ["organization_administrator"], first_name="Olivia", last_name="Admin")


@pytest.fixture
def member(acme):
    return make_user(acme, "member@acme.test", first_name="Mia", last_name="Member")


@pytest.fixture
def partner_admin(partner):
    """A member of the partner's Child Organization Access group holding Organization Administrator there."""
    user = make_user(partner, "pa@partner.test", first_name="Pat", last_name="Partner")
    cag = group_services.create_group(partner, "Child Organization Access Group", GroupKind.CHILD_ORGANIZATION_ACCESS)
    role_services.assign_group_roles(cag, ["organization_administrator"])
    group_services.add_members(cag, [user.pk])
    return user


@pytest.fixture
def globex_admin(globex):
    return make_user(globex, "admin@globex.test", ["organization_administrator"])


@pytest.fixture
def make():
    return make_user


class _Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1; Django sends to it through its SMTP backend."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()



def _commits(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool((marker and marker.kwargs.get("transaction"))
                or {"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _migrated_data(request):
    """A test that commits (transactional, live server) may start from a database flushed by the one before:
    put back the rows the migrations load (the printer model catalog, the system views). Serialized rollback
    would do it, but a flush under Playwright's event loop re-creates content types under new ids that a
    later restore then inserts a second time."""
    if not _commits(request):
        return
    import importlib

    from django.apps import apps

    from fleet.models import PrinterModel, PrinterView

    if "live_server" in request.fixturenames or "transactional_db" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    data = importlib.import_module("fleet.migrations.0002_catalog_and_system_views")
    if not PrinterModel.objects.exists():
        data.load_catalog(apps, None)
    if not PrinterView.objects.filter(organization=None).exists():
        data.load_views(apps, None)
