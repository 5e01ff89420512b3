"""The Tasks page and its API (spec D §33): the list with status, progress, filters and a constant number of
queries; a task's jobs filtered by status and exported to CSV; Stop for tasks and jobs; a partner's bulk task."""
import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import GroupKind
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from fleet.choices import JobStatus, TaskStatus, TaskType
from fleet.services import tasks as task_services
from tests.conftest import make_user
from tests.fleet.tasks_support import agent_of, event, printer_of


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def agent(acme):
    return agent_of(acme, name="Fleet Agent 1")


@pytest.fixture
def fleet_admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def viewer(acme):
    return make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])


@pytest.fixture
def refresh(acme, agent, fleet_admin):
    """A refresh task over three printers: one completed, one failed, one still pending."""
    printers = [printer_of(agent, f"SN-{i}", ip=f"127.0.0.{40 + i}") for i in range(3)]
    task = task_services.create_task(acme, TaskType.REFRESH, printers=printers, user=fleet_admin)
    done, failed, _pending = task.jobs.all()
    task_services.record_event(agent, event(done, "completed"))
    task_services.record_event(agent, event(failed, "failed", message="SNMP timeout"))
    task.refresh_from_db()
    return task


def tasks_url(org, **query):
    url = reverse("fleet:tasks", kwargs={"org_id": org.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def task_url(org, task, query=""):
    return reverse("fleet:task", kwargs={"org_id": org.pk, "task_id": task.pk}) + query


# ---------------------------------------------------------------------------------------------- list
def test_the_tasks_page_lists_tasks_with_status_and_progress(client, acme, fleet_admin, refresh):
    client.force_login(fleet_admin)
    response = client.get(tasks_url(acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-testid="task-row-{refresh.pk}"' in html
    assert "Refresh printer information" in html and "fleet@acme.test" in html and "Acme" in html
    assert "In progress" in html and "2 of 3 jobs" in html
    assert 'data-testid="task-stop"' in html


def test_the_list_filters_by_status_and_type(client, acme, agent, fleet_admin, refresh):
    finished = task_services.create_task(acme, TaskType.DISCOVER, agents=[agent])
    task_services.record_event(agent, event(finished.jobs.get(), "completed"))
    client.force_login(fleet_admin)
    rows = client.get(tasks_url(acme, status=TaskStatus.COMPLETED)).content.decode()
    assert f"task-row-{finished.pk}" in rows and f"task-row-{refresh.pk}" not in rows
    rows = client.get(tasks_url(acme, type=TaskType.REFRESH)).content.decode()
    assert f"task-row-{refresh.pk}" in rows and f"task-row-{finished.pk}" not in rows
    rows = client.get(tasks_url(acme, status="nonsense")).content.decode()
    assert f"task-row-{refresh.pk}" in rows and f"task-row-{finished.pk}" in rows


def test_viewers_see_tasks_without_stop_buttons(client, acme, viewer, refresh):
    client.force_login(viewer)
    for url in (tasks_url(acme), task_url(acme, refresh)):
        response = client.get(url)
        assert response.status_code == 200 and b'data-testid="task-stop"' not in response.content
        assert b'data-testid="job-stop"' not in response.content
    stop = reverse("fleet:task-stop", kwargs={"org_id": acme.pk, "task_id": refresh.pk})
    assert client.post(stop).status_code == 403


def queries_for(client, url, user, agent, tasks: int) -> int:
    """Queries to answer `url` once the organization has `tasks` more tasks."""
    client.force_login(user)
    for _ in range(tasks):
        task_services.create_task(agent.organization, TaskType.REFRESH, printers=[printer_of(agent)], user=user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_list_runs_a_constant_number_of_queries(client, acme, agent, fleet_admin):
    assert queries_for(client, tasks_url(acme), fleet_admin, agent, 2) == \
        queries_for(client, tasks_url(acme), fleet_admin, agent, 20)


# ---------------------------------------------------------------------------------------------- detail
def test_the_task_page_lists_its_jobs_and_filters_them_by_status(client, acme, fleet_admin, refresh):
    client.force_login(fleet_admin)
    html = client.get(task_url(acme, refresh)).content.decode()
    for ip in ("127.0.0.40", "127.0.0.41", "127.0.0.42"):
        assert ip in html
    assert "SNMP timeout" in html and "Fleet Agent 1" in html and html.count('data-testid="job-stop"') == 1
    filtered = client.get(task_url(acme, refresh, "?status=failed&status=pending")).content.decode()
    assert "127.0.0.41" in filtered and "127.0.0.42" in filtered and "127.0.0.40" not in filtered


def test_export_to_csv_exports_only_the_filtered_jobs(client, acme, fleet_admin, refresh):
    client.force_login(fleet_admin)
    url = reverse("fleet:task-export", kwargs={"org_id": acme.pk, "task_id": refresh.pk}) + "?status=failed"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["Task ID", "Organization", "Target", "Serial number", "Agent", "Status"]
    assert rows[1:] and [row[2] for row in rows[1:]] == ["127.0.0.41"]
    assert rows[1][5] == "Failed" and rows[1][7] == "SNMP timeout"


def test_stop_a_task_from_the_list_and_a_job_from_the_task(client, acme, agent, fleet_admin):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent), printer_of(agent)])
    first, second = task.jobs.all()
    client.force_login(fleet_admin)
    stop_job = reverse("fleet:job-stop", kwargs={"org_id": acme.pk, "job_id": first.pk})
    response = client.post(stop_job, follow=True)
    assert response.redirect_chain[-1][0] == task_url(acme, task)
    assert f"Job {first.pk} (127.0.0.20) stopped." in response.content.decode()
    response = client.post(stop_job, follow=True)
    assert "Only pending jobs can be stopped." in response.content.decode()
    stop_task = reverse("fleet:task-stop", kwargs={"org_id": acme.pk, "task_id": task.pk})
    response = client.post(stop_task, {"next": tasks_url(acme)}, follow=True)
    assert response.redirect_chain[-1][0] == tasks_url(acme)
    assert "1 pending job stopped." in response.content.decode()
    second.refresh_from_db()
    task.refresh_from_db()
    assert second.status == JobStatus.STOPPED and task.status == TaskStatus.COMPLETED
    response = client.post(stop_task, {"next": "https://elsewhere.test/"}, follow=True)
    assert "Only pending tasks for a printer can be stopped." in response.content.decode()
    assert response.redirect_chain[-1][0] == task_url(acme, task)


def test_unenroll_tasks_show_no_stop_and_refuse_it(client, acme, agent, fleet_admin):
    task = task_services.create_task(acme, TaskType.UNENROLL, printers=[printer_of(agent)])
    client.force_login(fleet_admin)
    html = client.get(task_url(acme, task)).content.decode()
    assert 'data-testid="task-stop"' not in html and 'data-testid="job-stop"' not in html
    assert "Unenrolling of printers cannot be stopped." in html
    stop = reverse("fleet:task-stop", kwargs={"org_id": acme.pk, "task_id": task.pk})
    assert "Unenrolling of printers cannot be stopped." in client.post(stop, follow=True).content.decode()
    assert task.jobs.get().status == JobStatus.PENDING


def test_another_organizations_task_answers_404(client, acme, globex, fleet_admin):
    other = task_services.create_task(globex, TaskType.DISCOVER, agents=[agent_of(globex)])
    client.force_login(fleet_admin)
    assert client.get(task_url(acme, other)).status_code == 404
    assert client.post(reverse("fleet:task-stop", kwargs={"org_id": acme.pk, "task_id": other.pk})).status_code == 404
    job_stop = reverse("fleet:job-stop", kwargs={"org_id": acme.pk, "job_id": other.jobs.get().pk})
    assert client.post(job_stop).status_code == 404
    assert other.jobs.get().status == JobStatus.PENDING


# ---------------------------------------------------------------------------------------------- bulk
@pytest.fixture
def fleet_partner(partner):
    user = make_user(partner, "fleet@partner.test", ["fleet_management_administrator"])
    group = group_services.create_group(partner, "Child Organization Access Group", GroupKind.CHILD_ORGANIZATION_ACCESS)
    role_services.assign_group_roles(group, ["fleet_management_administrator"])
    group_services.add_members(group, [user.pk])
    return user


def test_a_partners_bulk_task_shows_multiple_and_its_organizations_jobs(client, partner, acme, globex,
                                                                        fleet_partner, fleet_admin):
    parent = task_services.create_bulk_task(
        {acme: [printer_of(agent_of(acme), ip="127.0.0.51")], globex: [printer_of(agent_of(globex), ip="127.0.0.52")]},
        TaskType.UPDATE_CREDENTIALS, user=fleet_partner)
    children = {child.organization_id: child for child in parent.children.all()}
    client.force_login(fleet_partner)
    row = client.get(tasks_url(partner)).content.decode()
    assert f"task-row-{parent.pk}" in row and "Multiple" in row
    html = client.get(task_url(partner, parent)).content.decode()
    assert "127.0.0.51" in html and "127.0.0.52" in html and "Globex" in html
    assert task_url(acme, children[acme.pk]) in html and task_url(globex, children[globex.pk]) in html
    client.force_login(fleet_admin)
    acme_list = client.get(tasks_url(acme)).content.decode()
    assert f"task-row-{children[acme.pk].pk}" in acme_list and f"task-row-{parent.pk}" not in acme_list
    assert client.get(task_url(acme, parent)).status_code == 404


# ---------------------------------------------------------------------------------------------- API
def api(org, name="api-fleet-tasks", **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def test_api_lists_tasks_with_filters(client, acme, agent, fleet_admin, refresh):
    other = task_services.create_task(acme, TaskType.DISCOVER, agents=[agent])
    client.force_login(fleet_admin)
    body = client.get(api(acme)).json()
    assert [t["id"] for t in body["results"]] == [other.pk, refresh.pk]
    first = body["results"][1]
    assert first["organization_name"] == "Acme" and first["submitted_by"] == "fleet@acme.test"
    assert (first["status"], first["jobs_total"], first["jobs_done"]) == (TaskStatus.IN_PROGRESS, 3, 2)
    assert [t["id"] for t in client.get(api(acme) + "?task_type=discover").json()["results"]] == [other.pk]
    assert [t["id"] for t in client.get(api(acme) + "?status=in_progress").json()["results"]] == [refresh.pk]
    assert client.get(api(acme) + "?status=nonsense").status_code == 400


def test_api_task_detail_has_its_jobs(client, acme, fleet_admin, refresh):
    client.force_login(fleet_admin)
    body = client.get(api(acme, "api-fleet-task", task_id=refresh.pk)).json()
    assert [job["status"] for job in body["jobs"]] == ["completed", "failed", "pending"]
    assert body["jobs"][1]["message"] == "SNMP timeout" and body["jobs"][0]["agent_name"] == "Fleet Agent 1"
    failed = client.get(api(acme, "api-fleet-task", task_id=refresh.pk) + "?job_status=failed&job_status=completed")
    assert [job["target"] for job in failed.json()["jobs"]] == ["127.0.0.40", "127.0.0.41"]


def test_api_stops_tasks_and_jobs_with_the_guides_messages(client, acme, agent, fleet_admin, viewer):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent) for _ in range(3)])
    first, second, third = task.jobs.all()
    client.force_login(viewer)
    assert client.post(api(acme, "api-fleet-task-stop", task_id=task.pk)).status_code == 403
    client.force_login(fleet_admin)
    response = client.post(api(acme, "api-fleet-job-stop", job_id=first.pk))
    assert response.status_code == 200 and response.json()["status"] == "stopped"
    response = client.post(api(acme, "api-fleet-job-stop", job_id=first.pk))
    assert response.status_code == 400 and "Only pending jobs can be stopped." in str(response.json())
    task_services.record_event(agent, event(second, "in_progress"))
    response = client.post(api(acme, "api-fleet-task-stop", task_id=task.pk))
    assert response.status_code == 200 and response.json()["stopped"] == 1
    assert response.json()["task"]["status"] == TaskStatus.IN_PROGRESS
    response = client.post(api(acme, "api-fleet-task-stop", task_id=task.pk))
    assert response.status_code == 400 and "Only pending tasks for a printer can be stopped." in str(response.json())


def test_api_list_runs_a_constant_number_of_queries(client, acme, agent, fleet_admin):
    assert queries_for(client, api(acme), fleet_admin, agent, 2) == queries_for(client, api(acme), fleet_admin, agent, 20)
