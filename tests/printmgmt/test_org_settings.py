"""Organizational Settings: the guide's defaults and dependencies, the submission address, retention."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from printmgmt.models import PrintJob
from printmgmt.services.org_settings import get_settings, submission_address, update_settings

from .documents import pdf_bytes, upload


def test_defaults_and_the_address_from_the_organization_name(acme, settings):
    settings.PRINT_EMAIL_DOMAIN = "example.org"
    row = get_settings(acme)
    assert (row.delegation, row.email_submission, row.retention, row.history_window) == (
        False, False, timedelta(days=1), timedelta(days=7))
    assert submission_address(acme) == "acme@print.example.org"


def test_a_custom_address_must_be_unique_and_well_formed(acme, globex):
    update_settings(acme, email_submission=True, email_username="floor2")
    with pytest.raises(ValidationError) as error:
        update_settings(globex, email_submission=True, email_username="floor2")
    assert error.value.message_dict == {"email_username": ["This address is already used by another organization."]}
    with pytest.raises(ValidationError, match="lower-case letters"):
        update_settings(globex, email_username="Floor #2")
    assert get_settings(acme).email_enabled_at is not None


def test_dependent_settings_are_cleared_when_what_they_need_is_off(acme):
    row = update_settings(acme, delegation=False, delegate_email_notification=True, email_submission=False,
                          email_body_submission=True)
    assert (row.delegate_email_notification, row.email_body_submission) == (False, False)
    row = update_settings(acme, delegation=True, delegate_email_notification=True)
    assert row.delegate_email_notification is True


def test_guests_need_pin_authentication(acme):
    from accounts.services.printer_login import update_configuration

    with pytest.raises(ValidationError, match="PIN authentication must be enabled"):
        update_settings(acme, email_submission=True, guest_email_submission=True)
    update_configuration(acme, pin=True)
    row = update_settings(acme, email_submission=True, guest_email_submission=True, guest_page_limit_enabled=True,
                          guest_page_limit=10, guest_assignment="department", guest_department="Visitors")
    assert (row.guest_page_limit, row.guest_department) == (10, "Visitors")


@pytest.mark.parametrize("values,field", [
    ({"retention_value": 8, "retention_unit": "days"}, "retention_value"),
    ({"retention_value": 169, "retention_unit": "hours"}, "retention_value"),
    ({"history_value": 0}, "history_value"),
    ({"universal_print": True}, "universal_print_printer_name"),
    ({"client_auto_update": True, "client_update_mode": "window"}, "client_update_start"),
])
def test_out_of_range_or_incomplete_settings_are_refused(acme, values, field):
    with pytest.raises(ValidationError) as error:
        update_settings(acme, **values)
    assert field in error.value.message_dict


def test_a_failed_save_changes_nothing(acme):
    with pytest.raises(ValidationError):
        update_settings(acme, delegation=True, retention_value=99)
    acme.refresh_from_db()
    assert get_settings(acme).delegation is False


def test_queued_jobs_follow_a_new_retention(acme, pam, submit):
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    update_settings(acme, retention_value=3, retention_unit="hours")
    assert PrintJob.objects.get(pk=job.pk).expires_at == job.submitted_at + timedelta(hours=3)


def test_the_settings_page_saves_for_administrators_only(client, acme, ada, pam):
    url = reverse("printmgmt:settings", kwargs={"org_id": acme.pk})
    client.force_login(pam)
    assert client.get(url).status_code == 403
    client.force_login(ada)
    page = client.get(url)
    assert page.status_code == 200 and b"Print Job Retention" in page.content
    form = {"print_clients_page": "on", "delegation": "on", "email_submission": "on", "email_username": "acme-print",
            "client_update_mode": "asap", "guest_assignment": "none", "quota_assign_by": "personal",
            "policy_assign_by": "personal", "direct_print_assign_by": "cost_center", "retention_value": "2",
            "retention_unit": "days", "history_value": "5", "history_unit": "days"}
    response = client.post(url, form)
    assert response.status_code == 302
    row = get_settings(acme.__class__.objects.get(pk=acme.pk))
    assert (row.delegation, row.email_username, row.retention_value, row.history_value) == (True, "acme-print", 2, 5)
    response = client.post(url, {**form, "retention_value": "9"})
    assert response.status_code == 400 and "Type a number from 1 to 7 days." in response.content.decode()
