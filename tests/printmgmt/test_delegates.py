"""Delegates: add with or without expiry, remove, e-mail notices, and the delegator's jobs in the delegate's
queue (seen, not changed) while the delegation lasts."""
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from printmgmt.models import Delegate
from printmgmt.services import delegates as delegate_services
from printmgmt.services.jobs import queue_for
from printmgmt.services.org_settings import update_settings

from .documents import pdf_bytes, upload


@pytest.fixture
def delegation(acme):
    return update_settings(acme, delegation=True, delegate_email_notification=True)


def test_delegation_must_be_enabled(acme, pam, dan):
    with pytest.raises(ValidationError, match="not enabled"):
        delegate_services.add_delegate(pam, dan)


def test_a_delegate_sees_the_delegators_jobs_until_removed(acme, pam, dan, delegation, submit,
                                                            django_capture_on_commit_callbacks):
    job = submit(acme, pam, upload("pams.pdf", pdf_bytes()))
    assert list(queue_for(dan, acme)) == []
    with django_capture_on_commit_callbacks(execute=True):
        row = delegate_services.add_delegate(pam, dan, expires_after_days=3)
    assert list(queue_for(dan, acme)) == [job]
    assert mail.outbox[-1].to == ["dan@acme.test"] and "expires on" in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        assert delegate_services.remove_delegates(pam, [row.pk]) == 1
    assert list(queue_for(dan, acme)) == []
    assert "no longer a print delegate" in mail.outbox[-1].subject


def test_an_expired_delegation_shows_nothing_and_is_purged_with_a_notice(acme, pam, dan, delegation, submit):
    submit(acme, pam, upload("pams.pdf", pdf_bytes()))
    Delegate.objects.create(organization=acme, delegator=pam, delegate=dan,
                            expires_at=timezone.now() - timedelta(minutes=1))
    assert list(queue_for(dan, acme)) == []
    assert delegate_services.expire_delegates() == 1
    assert "has expired" in mail.outbox[-1].subject and not Delegate.objects.exists()


def test_no_self_delegation_and_no_users_of_other_organizations(acme, globex, pam, delegation):
    from tests.conftest import make_user

    with pytest.raises(ValidationError):
        delegate_services.add_delegate(pam, pam)
    with pytest.raises(ValidationError):
        delegate_services.add_delegate(pam, make_user(globex, "g@globex.test"))


def test_guests_neither_name_nor_become_delegates(acme, pam, delegation):
    from printmgmt.services import guests
    from tests.accounts.test_device_api_fixtures import configure

    configure(acme, pin=True)
    update_settings(acme, email_submission=True, guest_email_submission=True)
    guest = guests.guest_for(acme, "visitor@guest.test").user
    for delegator, delegate in ((pam, guest), (guest, pam)):
        with pytest.raises(ValidationError):
            delegate_services.add_delegate(delegator, delegate)
    assert not Delegate.objects.exists()


def test_the_delegates_page_adds_and_removes(client, acme, pam, dan, delegation, django_capture_on_commit_callbacks):
    client.force_login(pam)
    url = reverse("printmgmt:delegates", kwargs={"org_id": acme.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "dan@acme.test", "expiry": "after", "days": "5"})
    assert response.status_code == 302
    row = Delegate.objects.get(delegator=pam)
    assert row.delegate == dan and row.expires_at > timezone.now() + timedelta(days=4)
    assert client.post(url, {"email": "nobody@acme.test", "expiry": "never"}).status_code == 400
    page = client.get(url).content.decode()
    assert "dan@acme.test" in page
    client.post(reverse("printmgmt:delegates-remove", kwargs={"org_id": acme.pk}), {"delegate": [row.pk]})
    assert not Delegate.objects.exists()


def test_delegates_see_but_cannot_change_the_delegators_jobs(client, acme, pam, dan, delegation, submit):
    job = submit(acme, pam, upload("pams.pdf", pdf_bytes()))
    delegate_services.add_delegate(pam, dan)
    client.force_login(dan)
    page = client.get(reverse("printmgmt:queue", kwargs={"org_id": acme.pk})).content.decode()
    assert "pams.pdf" in page and "Delegated" in page
    url = reverse("printmgmt:job", kwargs={"org_id": acme.pk, "print_job_id": job.pk})
    assert client.get(url).status_code == 200
    client.post(url, {**job.print_settings(), "copies": "9"})
    job.refresh_from_db()
    assert job.copies == 1
