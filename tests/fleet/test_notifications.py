"""Control-panel notifications (guide "Sending notifications to the printer control panel"): the four fixed
messages for 48 hours, replaced by the next one, cleared on request; models that cannot show them (footnote 3
under the Fleet Agent, third-party or unknown models) get a "Not supported" job."""
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agents.protocol import Command
from fleet.choices import AgentType, JobStatus, PanelMessage, TaskStatus, TaskType
from fleet.models import Printer, Task
from fleet.services import commands
from fleet.services import printers as services
from tests.fleet.detail_support import catalog_printer, fleet_admin, fleet_viewer
from tests.fleet.factories import make_agent


@pytest.fixture
def agent(acme):
    return make_agent(acme)


@pytest.fixture
def supported(acme, agent):
    return catalog_printer(acme, agent, model="CX725")


@pytest.fixture
def footnote3(acme, agent):
    return catalog_printer(acme, agent, model="MX510de")   # "managed using the Fleet Agent ... not supported"


def _tags_page(org):
    return reverse("fleet:tags", kwargs={"org_id": org.pk})


def _jobs(task):
    return {job.printer_id: job.status for job in task.jobs.all()}


def test_notification_is_shown_for_48_hours(acme, supported):
    before = timezone.now()
    task = services.send_panel_notification(acme, [supported], PanelMessage.TONER_ORDERED)
    supported.refresh_from_db()
    assert task.task_type == TaskType.PANEL_NOTIFICATION and task.args["message"] == PanelMessage.TONER_ORDERED
    assert supported.panel_message == PanelMessage.TONER_ORDERED
    assert supported.panel_message_until - before >= timedelta(hours=48)
    assert supported.panel_message_until - timezone.now() <= timedelta(hours=48)
    assert services.current_panel_message(supported) == "Toner cartridge ordered"
    assert services.current_panel_message(supported, now=timezone.now() + timedelta(hours=49)) == ""


def test_the_agent_receives_the_message(acme, agent, supported):
    services.send_panel_notification(acme, [supported], PanelMessage.SERVICE_SCHEDULED)
    [message] = commands.poll(agent)
    assert message["body"]["command"] == Command.PANEL_NOTIFICATION
    assert message["body"]["args"]["text"] == "Service has been scheduled"
    assert message["body"]["printers"] == [supported.serial]


def test_another_notification_replaces_the_first(acme, supported):
    services.send_panel_notification(acme, [supported], PanelMessage.TONER_ORDERED)
    services.send_panel_notification(acme, [supported], PanelMessage.TONER_SHIPPED)
    supported.refresh_from_db()
    assert supported.panel_message == PanelMessage.TONER_SHIPPED


def test_clear_notification(acme, supported):
    services.send_panel_notification(acme, [supported], PanelMessage.TONER_DELIVERED)
    task = services.clear_panel_notification(acme, [supported])
    supported.refresh_from_db()
    assert task.task_type == TaskType.CLEAR_NOTIFICATION
    assert supported.panel_message == "" and supported.panel_message_until is None
    assert _jobs(task) == {supported.pk: JobStatus.PENDING}


def test_unsupported_models_get_not_supported_jobs(acme, supported, footnote3):
    unknown = catalog_printer(acme, model=None)
    task = services.send_panel_notification(acme, [supported, footnote3, unknown], PanelMessage.TONER_ORDERED)
    assert _jobs(task) == {supported.pk: JobStatus.PENDING, footnote3.pk: JobStatus.NOT_SUPPORTED,
                           unknown.pk: JobStatus.NOT_SUPPORTED}
    assert Printer.objects.get(pk=footnote3.pk).panel_message == ""
    assert Printer.objects.get(pk=unknown.pk).panel_message == ""


def test_footnote_3_models_are_supported_under_other_agents(acme):
    printer_agent = make_agent(acme, AgentType.PRINTER)
    printer = catalog_printer(acme, printer_agent, model="MX510de")
    assert services.panel_notifications_supported(printer)
    task = services.send_panel_notification(acme, [printer], PanelMessage.TONER_ORDERED)
    assert _jobs(task) == {printer.pk: JobStatus.PENDING}


def test_only_unsupported_printers_make_a_not_supported_task(acme, footnote3):
    task = services.send_panel_notification(acme, [footnote3], PanelMessage.TONER_ORDERED)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.NOT_SUPPORTED


def test_unknown_message_is_refused(acme, supported):
    with pytest.raises(ValidationError, match="Select a notification."):
        services.send_panel_notification(acme, [supported], "Free text")
    assert not Task.objects.exists()


# --------------------------------------------------------------------------------------------- pages
def test_send_from_the_printers_page(client, acme, supported, footnote3):
    client.force_login(fleet_admin(acme))
    response = client.post(reverse("fleet:printers-notify", kwargs={"org_id": acme.pk}),
                           {"printer": [supported.pk, footnote3.pk], "message": PanelMessage.TONER_SHIPPED,
                            "next": _tags_page(acme)}, follow=True)
    page = response.content.decode()
    assert "“Toner cartridge shipped” sent to 2 printers." in page
    assert "1 printer do not support control-panel notifications" in page
    assert Printer.objects.get(pk=supported.pk).panel_message == PanelMessage.TONER_SHIPPED


def test_details_page_shows_and_clears_the_notification(client, acme, supported):
    client.force_login(fleet_admin(acme))
    services.send_panel_notification(acme, [supported], PanelMessage.TONER_ORDERED)
    detail = reverse("fleet:printer", kwargs={"org_id": acme.pk, "printer_id": supported.pk})
    assert "Toner cartridge ordered" in client.get(detail).content.decode()
    response = client.post(reverse("fleet:printers-clear-notification", kwargs={"org_id": acme.pk}),
                           {"printer": supported.pk, "next": detail})
    assert response["Location"] == detail
    assert Printer.objects.get(pk=supported.pk).panel_message == ""


def test_details_page_warns_when_the_model_cannot_show_it(client, acme, footnote3):
    client.force_login(fleet_admin(acme))
    page = client.get(reverse("fleet:printer", kwargs={"org_id": acme.pk, "printer_id": footnote3.pk}))
    assert "does not support control-panel notifications under the Fleet Agent" in page.content.decode()


def test_viewer_cannot_send_or_clear(client, acme, supported):
    client.force_login(fleet_viewer(acme))
    for name in ("fleet:printers-notify", "fleet:printers-clear-notification"):
        response = client.post(reverse(name, kwargs={"org_id": acme.pk}),
                               {"printer": supported.pk, "message": PanelMessage.TONER_ORDERED})
        assert response.status_code == 403
    assert not Task.objects.exists()


def test_missing_selection_is_explained(client, acme):
    client.force_login(fleet_admin(acme))
    response = client.post(reverse("fleet:printers-notify", kwargs={"org_id": acme.pk}),
                           {"message": PanelMessage.TONER_ORDERED, "next": _tags_page(acme)}, follow=True)
    assert "Select one or more printers." in response.content.decode()
