"""Unenrolling printers (guide "Unenrolling printers"): off the listing, data kept, an Unenroll task whose command
reaches the agent, back when an agent enrolls the printer again; from the Printers page and the details page."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agents.protocol import Command
from fleet.choices import JobStatus, TaskType
from fleet.models import Printer, Supply, Task
from fleet.services import commands, enrollment
from fleet.services import tasks as task_services
from fleet.services.printers import unenroll_printers
from tests.fleet.detail_support import catalog_printer, fleet_admin, fleet_viewer
from tests.fleet.factories import make_agent


@pytest.fixture
def agent(acme):
    return make_agent(acme)


@pytest.fixture
def printers(acme, agent):
    return [catalog_printer(acme, agent, supplies={"Black": 40}, tags=["Floor 1"]) for _ in range(2)]


def test_unenrolled_printers_leave_the_listing_and_keep_their_data(acme, agent, printers):
    task = unenroll_printers(acme, printers)
    assert task.task_type == TaskType.UNENROLL
    assert not Printer.objects.enrolled().filter(pk__in=[p.pk for p in printers]).exists()
    for printer in Printer.objects.filter(pk__in=[p.pk for p in printers]):
        assert printer.unenrolled_at is not None and printer.agent_id is None
        assert printer.agent_type == agent.kind
        assert Supply.objects.filter(printer=printer).count() == 1
        assert list(printer.tags.values_list("name", flat=True)) == ["Floor 1"]


def test_the_agent_receives_an_unenroll_command_for_the_printers(acme, agent, printers):
    task = unenroll_printers(acme, printers)
    assert {job.status for job in task.jobs.all()} == {JobStatus.PENDING}
    assert {job.agent_id for job in task.jobs.all()} == {agent.pk}
    sent = commands.poll(agent)
    assert [message["body"]["command"] for message in sent] == [Command.UNENROLL]
    assert sorted(sent[0]["body"]["printers"]) == sorted(p.serial for p in printers)


def test_unenrolling_cannot_be_stopped(acme, printers):
    task = unenroll_printers(acme, printers)
    with pytest.raises(ValidationError, match="Unenrolling of printers cannot be stopped."):
        task_services.stop_task(task)
    with pytest.raises(ValidationError, match="Unenrolling of printers cannot be stopped."):
        task_services.stop_job(task.jobs.first())


def test_an_agent_enrolling_the_printer_again_brings_it_back(acme, agent, printers):
    printer = printers[0]
    unenroll_printers(acme, [printer])
    result = enrollment.enroll(agent, {"serial": printer.serial, "model": "CX725", "ip": "127.0.3.9"})
    assert result.outcome == enrollment.Outcome.RE_ENROLLED
    printer.refresh_from_db()
    assert printer.unenrolled_at is None and printer.agent_id == agent.pk
    assert Supply.objects.filter(printer=printer).exists()


def test_only_enrolled_printers_of_the_organization_are_unenrolled(acme, globex, printers):
    foreign = catalog_printer(globex)
    assert unenroll_printers(acme, [foreign]) is None
    assert Printer.objects.get(pk=foreign.pk).unenrolled_at is None
    unenroll_printers(acme, printers[:1])
    task = unenroll_printers(acme, printers)             # the first one is already unenrolled
    assert [job.printer_id for job in task.jobs.all()] == [printers[1].pk]


def test_agent_deactivation_passes_its_own_task_type(acme, printers):
    task = unenroll_printers(acme, printers, task_type=TaskType.EDIT_AGENT_SETTINGS)
    assert task.task_type == TaskType.EDIT_AGENT_SETTINGS
    assert Printer.objects.enrolled().count() == 0


# --------------------------------------------------------------------------------------------- pages
def test_bulk_unenroll_from_the_printers_page(client, acme, printers):
    client.force_login(fleet_admin(acme))
    url = reverse("fleet:printers-unenroll", kwargs={"org_id": acme.pk})
    response = client.post(url, {"printer": [p.pk for p in printers], "next": "/o/x/"}, follow=False)
    assert response.status_code == 302 and response["Location"] == "/o/x/"
    assert Printer.objects.enrolled().count() == 0
    task = Task.objects.get(task_type=TaskType.UNENROLL)
    assert task.jobs.count() == 2 and task.created_by.email.startswith("fleet-admin")


def test_unenroll_from_the_details_page_and_the_page_is_gone(client, acme, printers):
    client.force_login(fleet_admin(acme))
    detail = reverse("fleet:printer", kwargs={"org_id": acme.pk, "printer_id": printers[0].pk})
    page = client.get(detail).content.decode()
    assert "Unenrolling of printers cannot be stopped." in page
    client.post(reverse("fleet:printers-unenroll", kwargs={"org_id": acme.pk}), {"printer": printers[0].pk})
    assert client.get(detail).status_code == 404
    assert Printer.objects.enrolled().filter(pk=printers[1].pk).exists()


def test_viewer_cannot_unenroll(client, acme, printers):
    client.force_login(fleet_viewer(acme))
    response = client.post(reverse("fleet:printers-unenroll", kwargs={"org_id": acme.pk}),
                           {"printer": [p.pk for p in printers]})
    assert response.status_code == 403
    assert Printer.objects.enrolled().count() == 2


def test_other_organizations_printers_are_not_touched(client, acme, globex, printers):
    foreign = catalog_printer(globex)
    client.force_login(fleet_admin(acme))
    response = client.post(reverse("fleet:printers-unenroll", kwargs={"org_id": acme.pk}),
                           {"printer": [foreign.pk], "next": reverse("fleet:tags", kwargs={"org_id": acme.pk})},
                           follow=True)
    assert "Select one or more printers." in response.content.decode()
    assert Printer.objects.get(pk=foreign.pk).unenrolled_at is None
