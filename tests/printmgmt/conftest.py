"""Print Management personas: Pam the user, Ada the Print Release Management Administrator, Dan a second user."""
import pytest

from tests.conftest import make_user


@pytest.fixture
def pam(acme):
    return make_user(acme, "pam@acme.test", ["print_release_management_user"], first_name="Pam",
                     cost_center="CC-7", department="Sales")


@pytest.fixture
def dan(acme):
    return make_user(acme, "dan@acme.test", ["print_release_management_user"], first_name="Dan")


@pytest.fixture
def ada(acme):
    return make_user(acme, "ada@acme.test", ["print_release_management_administrator"], first_name="Ada")


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """submit_job with the conversion run as it would after the commit (Celery eager in tests)."""
    from printmgmt.services.submission import submit_job

    def run(org, user, upload, **kwargs):
        kwargs.setdefault("source", "web")
        with django_capture_on_commit_callbacks(execute=True):
            job = submit_job(org, user, upload, **kwargs)
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def smtp():
    """smtp_ingest's SMTP server (aiosmtpd) on a free loopback port."""
    from printmgmt.management.commands.smtp_ingest import make_controller, stop_controller
    from tests.agents.agent_support import free_port

    controller = make_controller("127.0.0.1", free_port())
    controller.start()
    yield controller
    stop_controller(controller)


@pytest.fixture
def service(live_server):
    """The printer URI of the live server's IPP print service (loopback)."""
    from urllib.parse import urlsplit

    return f"ipp://127.0.0.1:{urlsplit(live_server.url).port}/ipp/print"
