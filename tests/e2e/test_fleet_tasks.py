"""The Tasks page in a real browser: open a task from the list, filter its jobs by status, stop a pending job."""
import os

import pytest

from fleet.choices import TaskType
from fleet.services import tasks as task_services
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in
from tests.fleet.tasks_support import agent_of, event, printer_of

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("LEXCLOUD_SCREENSHOTS", "")   # a folder: save the pages for a human to look at


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_filter_a_tasks_jobs_and_stop_a_pending_one(page, acme, settings):
    settings.MQTT_URL = ""
    user = make_user(acme, "fleet@acme.test", ["fleet_management_administrator", "file_service_administrator"])
    agent = agent_of(acme, name="Fleet Agent 1")
    printers = [printer_of(agent, f"7015207200{i}", ip=f"127.0.0.{60 + i}") for i in range(4)]
    printers.append(printer_of(agent, "7559020008138", ip="127.0.0.70", communicating=False))
    task = task_services.create_task(acme, TaskType.REFRESH, printers=printers, user=user)
    done, failed, running, pending, _silent = task.jobs.all()
    task_services.record_event(agent, event(done, "completed"))
    task_services.record_event(agent, event(failed, "failed", message="The printer did not answer (SNMP timeout)."))
    task_services.record_event(agent, event(running, "in_progress", progress=35))
    discover = task_services.create_task(acme, TaskType.DISCOVER, agents=[agent], user=user)
    task_services.record_event(agent, event(discover.jobs.get(), "completed"))
    task_services.create_task(acme, TaskType.UNENROLL, printers=[printer_of(agent, ip="127.0.0.71")], user=user)

    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/tasks/")
    row = page.locator(f"[data-testid=task-row-{task.pk}]")
    assert "In progress" in row.inner_text() and "3 of 5 jobs" in row.inner_text()
    shot(page, "tasks-list")

    row.locator("[data-testid=task-link]").click()
    page.wait_for_url(f"**/fleet/tasks/{task.pk}/")
    assert page.locator("[data-testid=jobs-table] tbody tr").count() == 5
    shot(page, "task-detail")

    page.click("[data-testid=job-status-filter]")
    page.check("[data-testid=job-status-failed]")
    page.check("[data-testid=job-status-pending]")
    page.click("[data-testid=job-filter-apply]")
    page.wait_for_url("**?status=pending&status=failed")
    assert page.locator("[data-testid=jobs-table] tbody tr").count() == 2
    assert "2 jobs (filtered)" in page.locator("[data-testid=job-total]").inner_text()

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator(f"[data-testid=job-row-{pending.pk}] [data-testid=job-stop]").click()
    page.wait_for_selector("text=stopped.")
    assert "status=failed" in page.url  # back to the filtered list it was stopped from
    pending.refresh_from_db()
    assert pending.status == "stopped"
