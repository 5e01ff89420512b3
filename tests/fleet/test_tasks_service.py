"""Tasks and jobs (spec D §33): creation and the jobs closed at once, the status rollup of every task status,
agents' events (who may report, in which order), the stop rules, the time-outs, and bulk tasks (§4)."""
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from accounts.choices import GroupKind
from accounts.roles import Perm
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from fleet.choices import AgentType, JobStatus, TaskStatus, TaskType
from fleet.models import Job, Task
from fleet.services import tasks as task_services
from fleet.services.tasks import rollup
from tests.conftest import make_user
from tests.fleet.tasks_support import agent_of, event, printer_of

S, T = JobStatus, TaskStatus


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def agent(acme):
    return agent_of(acme)


def statuses(task):
    return sorted(task.jobs.values_list("status", flat=True))


# ---------------------------------------------------------------------------------------------- rollup
@pytest.mark.parametrize("counts,expected", [
    ({S.PENDING: 2}, T.PENDING),
    ({S.PENDING: 1, S.STOPPED: 1}, T.PENDING),
    ({S.PENDING: 1, S.IN_PROGRESS: 1}, T.IN_PROGRESS),
    ({S.PENDING: 1, S.COMPLETED: 1}, T.IN_PROGRESS),
    ({S.COMPLETED: 3}, T.COMPLETED),
    ({S.COMPLETED: 1, S.STOPPED: 2}, T.COMPLETED),
    ({S.STOPPED: 2}, T.COMPLETED),
    ({}, T.COMPLETED),
    ({S.STOPPED: 1, S.FAILED: 1}, T.COMPLETED_ERRORS),
    ({S.COMPLETED: 1, S.EXPIRED: 1}, T.COMPLETED_ERRORS),
    ({S.COMPLETED: 2, S.NOT_COMMUNICATING: 1}, T.COMPLETED_ERRORS),
    ({S.COMPLETED: 2, S.NOT_SUPPORTED: 1}, T.COMPLETED_ERRORS),
    ({S.FAILED: 1}, T.FAILED),
    ({S.EXPIRED: 2}, T.FAILED),
    ({S.FAILED: 1, S.NOT_COMMUNICATING: 3}, T.FAILED),
    ({S.NOT_COMMUNICATING: 2}, T.NOT_COMMUNICATING),
    ({S.NOT_COMMUNICATING: 1, S.NOT_SUPPORTED: 1}, T.NOT_COMMUNICATING),
    ({S.NOT_SUPPORTED: 2}, T.NOT_SUPPORTED),
])
def test_rollup_of_job_statuses(counts, expected):
    assert rollup(counts) == expected


def test_rollup_with_notices_only_when_every_job_succeeded():
    assert rollup({S.COMPLETED: 2}, warning=True) == T.COMPLETED_WARNING
    assert rollup({S.COMPLETED: 2}, info=True) == T.COMPLETED_INFO
    assert rollup({S.COMPLETED: 2}, warning=True, info=True) == T.COMPLETED_WARNING
    assert rollup({S.COMPLETED: 1, S.FAILED: 1}, warning=True) == T.COMPLETED_ERRORS


# ---------------------------------------------------------------------------------------------- creation
def test_one_pending_job_per_reachable_printer_sent_to_its_agent(acme, agent, org_admin):
    printer = printer_of(agent, "SN-1", ip="127.0.0.31")
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer], user=org_admin)
    job = task.jobs.get()
    assert (job.agent, job.printer, job.target, job.serial, job.status) == (agent, printer, "127.0.0.31", "SN-1",
                                                                             S.PENDING)
    assert task.status == T.PENDING and task.job_counts == {S.PENDING: 1}
    assert task.created_by == org_admin and task.organization == acme


def test_printers_that_cannot_communicate_are_closed_at_once(acme, agent):
    silent = printer_of(agent, communicating=False)
    orphan = printer_of(None, org=acme)
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[silent, orphan])
    assert statuses(task) == [S.NOT_COMMUNICATING, S.NOT_COMMUNICATING]
    assert task.status == T.NOT_COMMUNICATING and task.finished_at is not None
    assert set(task.jobs.values_list("message", flat=True)) == {task_services.PRINTER_NOT_COMMUNICATING}


def test_unsupported_printers_get_not_supported_jobs(acme, agent):
    ok, old = printer_of(agent), printer_of(agent)
    task = task_services.create_task(acme, TaskType.PANEL_NOTIFICATION, printers=[ok], unsupported=[old])
    assert task.jobs.get(printer=old).status == S.NOT_SUPPORTED
    assert task.jobs.get(printer=old).message == "The printer does not support the task."
    assert task.jobs.get(printer=ok).status == S.PENDING
    only_old = task_services.create_task(acme, TaskType.PANEL_NOTIFICATION, unsupported=[old])
    assert only_old.status == T.NOT_SUPPORTED


def test_local_agents_not_communicating_end_the_edit_task_with_errors(acme):
    """Spec D §9.5: "If any of the local agents is not communicating, then the task gets completed with errors."""
    online, offline = agent_of(acme, AgentType.LOCAL), agent_of(acme, AgentType.LOCAL)
    task = task_services.create_task(acme, TaskType.EDIT_AGENT_SETTINGS, agents=[online, offline],
                                     not_communicating=[offline])
    assert task.jobs.get(agent=offline).status == S.NOT_COMMUNICATING
    job = task.jobs.get(agent=online)
    assert (job.status, job.target) == (S.PENDING, online.name)
    task_services.record_event(online, event(job, "completed"))
    task.refresh_from_db()
    assert task.status == T.COMPLETED_ERRORS


def test_agents_not_activated_cannot_receive_a_job(acme):
    waiting = agent_of(acme, active=False)
    task = task_services.create_task(acme, TaskType.DISCOVER, agents=[waiting])
    assert task.status == T.NOT_COMMUNICATING


# ---------------------------------------------------------------------------------------------- events
def test_progress_then_completion(acme, agent):
    task = task_services.create_task(acme, TaskType.MIB_WALK, printers=[printer_of(agent)])
    job = task.jobs.get()
    task_services.record_event(agent, event(job, "in_progress", progress=40, message="Walking"))
    job.refresh_from_db()
    task.refresh_from_db()
    assert (job.status, job.progress, job.message) == (S.IN_PROGRESS, 40, "Walking")
    assert job.started_at and job.sent_at and task.status == T.IN_PROGRESS
    task_services.record_event(agent, event(job, "completed", result={"lines": 1200}))
    job.refresh_from_db()
    task.refresh_from_db()
    assert (job.status, job.progress, job.result) == (S.COMPLETED, 100, {"lines": 1200})
    assert task.status == T.COMPLETED and task.finished_at and task.job_counts == {S.COMPLETED: 1}


def test_late_and_duplicate_events_change_nothing(acme, agent):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    job = task.jobs.get()
    task_services.record_event(agent, event(job, "in_progress", progress=60))
    task_services.record_event(agent, event(job, "in_progress", progress=20))  # delivered out of order
    job.refresh_from_db()
    assert job.progress == 60
    task_services.record_event(agent, event(job, "failed", message="SNMP timeout"))
    job.refresh_from_db()
    finished = job.finished_at
    for late in (event(job, "in_progress", progress=90), event(job, "completed"), event(job, "failed", message="x")):
        assert task_services.record_event(agent, late).status == S.FAILED
    job.refresh_from_db()
    task.refresh_from_db()
    assert (job.status, job.message, job.finished_at, job.progress) == (S.FAILED, "SNMP timeout", finished, 60)
    assert task.status == T.FAILED


def test_only_the_jobs_own_agent_may_report(acme, globex, agent, caplog):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    job = task.jobs.get()
    intruders = [agent_of(acme), agent_of(globex)]
    with caplog.at_level(logging.WARNING, logger="fleet.services.tasks"):
        for intruder in intruders:
            assert task_services.record_event(intruder, event(job, "completed")) is None
        assert task_services.record_event(agent, event(999999, "completed")) is None
    job.refresh_from_db()
    assert job.status == S.PENDING and job.sent_at is None
    assert sum("not its own" in r.getMessage() for r in caplog.records) == 3


def test_completed_with_warning_or_info_from_the_agents_result(acme, agent):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent), printer_of(agent)])
    first, second = task.jobs.all()
    task_services.record_event(agent, event(first, "completed", result={"level": "info"}))
    task_services.record_event(agent, event(second, "completed"))
    task.refresh_from_db()
    assert task.status == T.COMPLETED_INFO
    warned = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    task_services.record_event(agent, event(warned.jobs.get(), "completed", result={"level": "warning"},
                                            message="Toner data missing"))
    warned.refresh_from_db()
    assert warned.status == T.COMPLETED_WARNING


def test_not_supported_reported_by_the_agent(acme, agent):
    task = task_services.create_task(acme, TaskType.RESTART, printers=[printer_of(agent)])
    task_services.record_event(agent, event(task.jobs.get(), "not_supported"))
    task.refresh_from_db()
    assert task.status == T.NOT_SUPPORTED
    assert task.jobs.get().message == "The printer does not support the task."


# ---------------------------------------------------------------------------------------------- stop rules
def test_stop_a_pending_job_only(acme, agent, org_admin):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent), printer_of(agent)])
    running, waiting = task.jobs.all()
    task_services.record_event(agent, event(running, "in_progress"))
    with pytest.raises(ValidationError, match="Only pending jobs can be stopped."):
        task_services.stop_job(running, user=org_admin)
    stopped = task_services.stop_job(waiting, user=org_admin)
    assert stopped.status == S.STOPPED and stopped.message == "Stopped by admin@acme.test."
    with pytest.raises(ValidationError, match="Only pending jobs can be stopped."):
        task_services.stop_job(waiting, user=org_admin)
    task_services.record_event(agent, event(waiting, "completed"))  # a stopped job never reopens
    task_services.record_event(agent, event(running, "failed"))
    task.refresh_from_db()
    assert statuses(task) == [S.FAILED, S.STOPPED]
    assert task.status == T.COMPLETED_ERRORS   # "A combination of successfully stopped and failed jobs."


def test_stop_a_task_stops_its_pending_jobs(acme, agent):
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent) for _ in range(3)])
    first = task.jobs.first()
    task_services.record_event(agent, event(first, "in_progress"))
    assert task_services.stop_task(task) == 2
    task.refresh_from_db()
    assert task.job_counts == {S.IN_PROGRESS: 1, S.STOPPED: 2} and task.status == T.IN_PROGRESS
    with pytest.raises(ValidationError, match="Only pending tasks for a printer can be stopped."):
        task_services.stop_task(task)
    task_services.record_event(agent, event(first, "completed"))
    task.refresh_from_db()
    assert task.status == T.COMPLETED


def test_unenrolling_cannot_be_stopped(acme, agent):
    task = task_services.create_task(acme, TaskType.UNENROLL, printers=[printer_of(agent)])
    with pytest.raises(ValidationError, match="Unenrolling of printers cannot be stopped."):
        task_services.stop_task(task)
    with pytest.raises(ValidationError, match="Unenrolling of printers cannot be stopped."):
        task_services.stop_job(task.jobs.get())
    assert task.jobs.get().status == S.PENDING


# ---------------------------------------------------------------------------------------------- time-outs
def test_pending_jobs_expire_after_a_week_and_running_ones_after_a_day(acme, agent):
    now = timezone.now()
    old = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent), printer_of(agent)])
    waiting, running = old.jobs.all()
    task_services.record_event(agent, event(running, "in_progress"))
    Job.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=6, hours=23))
    Job.objects.filter(pk=running.pk).update(started_at=now - timedelta(hours=23))
    assert task_services.expire_jobs(now=now) == 0
    Job.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(weeks=1, minutes=1))
    assert task_services.expire_jobs(now=now) == 1
    old.refresh_from_db()
    assert old.job_counts == {S.EXPIRED: 1, S.IN_PROGRESS: 1} and old.status == T.IN_PROGRESS
    Job.objects.filter(pk=running.pk).update(started_at=now - timedelta(hours=24, minutes=1))
    assert task_services.expire_jobs(now=now) == 1
    old.refresh_from_db()
    assert old.status == T.FAILED and old.finished_at == now   # "At least one job has failed or expired."
    assert set(old.jobs.values_list("message", flat=True)) == {"The job exceeded the timeout."}
    assert task_services.expire_jobs(now=now) == 0


def test_the_expiry_beat_task_runs_the_service(acme, agent):
    from fleet.tasks import expire_jobs

    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    Job.objects.filter(task=task).update(created_at=timezone.now() - timedelta(days=8))
    assert expire_jobs.delay().get() == 1
    task.refresh_from_db()
    assert task.status == T.FAILED


def test_the_beat_schedule_runs_the_fleet_tasks(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"fleet.tasks.expire_jobs", "fleet.tasks.purge_task_files", "fleet.tasks.send_pending_commands"} <= tasks


# ---------------------------------------------------------------------------------------------- bulk tasks
@pytest.fixture
def fleet_partner(partner):
    """A partner user holding Fleet Management Administrator at the partner and, through a Child Organization
    Access group, in every child organization."""
    user = make_user(partner, "fleet@partner.test", ["fleet_management_administrator"])
    group = group_services.create_group(partner, "Child Organization Access Group", GroupKind.CHILD_ORGANIZATION_ACCESS)
    role_services.assign_group_roles(group, ["fleet_management_administrator"])
    group_services.add_members(group, [user.pk])
    return user


def test_bulk_task_has_one_child_per_organization(partner, acme, globex, fleet_partner):
    acme_agent, globex_agent = agent_of(acme), agent_of(globex)
    acme_printers = [printer_of(acme_agent), printer_of(acme_agent)]
    globex_printer = printer_of(globex_agent)
    parent = task_services.create_bulk_task({acme: acme_printers, globex: [globex_printer]}, TaskType.REFRESH,
                                            user=fleet_partner)
    assert parent.organization is None and parent.is_bulk and parent.jobs.count() == 0
    children = {child.organization: child for child in parent.children.all()}
    assert set(children) == {acme, globex}
    assert children[acme].job_counts == {S.PENDING: 2} and parent.job_counts == {S.PENDING: 3}
    task_services.record_event(globex_agent, event(children[globex].jobs.get(), "completed"))
    parent.refresh_from_db()
    assert parent.job_counts == {S.PENDING: 2, S.COMPLETED: 1} and parent.status == T.IN_PROGRESS
    for job in children[acme].jobs.all():
        task_services.record_event(acme_agent, event(job, "failed"))
    parent.refresh_from_db()
    assert parent.status == T.COMPLETED_ERRORS and parent.finished_at


def test_bulk_task_is_listed_for_the_partner_and_children_for_each_organization(partner, acme, globex, fleet_partner,
                                                                              org_admin):
    acme_agent, globex_agent = agent_of(acme), agent_of(globex)
    parent = task_services.create_bulk_task(
        [(acme, [printer_of(acme_agent)]), (globex, [printer_of(globex_agent)])], TaskType.REFRESH)
    acme_child = parent.children.get(organization=acme)
    own = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(acme_agent)])
    assert set(task_services.visible_tasks(fleet_partner, partner, Perm.FLEET_VIEW)) == {parent}
    assert set(task_services.visible_tasks(fleet_partner, acme, Perm.FLEET_VIEW)) == {acme_child, own}
    acme_fleet = make_user(acme, "fm@acme.test", ["fleet_management_administrator"])
    assert set(task_services.visible_tasks(acme_fleet, acme, Perm.FLEET_VIEW)) == {acme_child, own}
    assert not task_services.visible_tasks(org_admin, acme, Perm.FLEET_VIEW).exists()  # no fleet role
    jobs = task_services.task_jobs(fleet_partner, parent, partner, Perm.FLEET_VIEW)
    assert {job.organization for job in jobs} == {acme, globex}


def test_a_partner_without_fleet_access_to_one_child_does_not_see_the_bulk_task(partner, acme, globex):
    user = make_user(partner, "fleet-only@partner.test", ["fleet_management_administrator"])
    parent = task_services.create_bulk_task({acme: [printer_of(agent_of(acme))],
                                             globex: [printer_of(agent_of(globex))]}, TaskType.REFRESH)
    assert parent not in task_services.visible_tasks(user, partner, Perm.FLEET_VIEW)


def test_stopping_a_bulk_task_stops_the_pending_jobs_of_every_organization(partner, acme, globex, fleet_partner):
    parent = task_services.create_bulk_task({acme: [printer_of(agent_of(acme))],
                                             globex: [printer_of(agent_of(globex))]}, TaskType.REFRESH)
    scope = task_services.scope_ids(fleet_partner, partner, Perm.FLEET_MANAGE)
    assert task_services.stop_task(parent, user=fleet_partner, organization_ids=scope) == 2
    parent.refresh_from_db()
    assert parent.status == T.COMPLETED and parent.job_counts == {S.STOPPED: 2}
    assert set(Task.objects.filter(parent=parent).values_list("status", flat=True)) == {T.COMPLETED}


def test_counts_kept_event_by_event_match_a_recount(partner, acme, globex):
    acme_agent, globex_agent = agent_of(acme), agent_of(globex)
    parent = task_services.create_bulk_task({acme: [printer_of(acme_agent) for _ in range(4)],
                                             globex: [printer_of(globex_agent) for _ in range(2)]}, TaskType.REFRESH)
    jobs = list(Job.objects.filter(task__parent=parent).select_related("agent").order_by("pk"))
    script = [(0, "in_progress"), (0, "completed"), (1, "failed"), (2, "in_progress"), (2, "in_progress"),
              (4, "not_supported"), (5, "completed"), (1, "completed"), (3, "in_progress")]
    for index, state in script:
        task_services.record_event(jobs[index].agent, event(jobs[index], state))
    kept = {task.pk: task.job_counts for task in Task.objects.filter(pk__in=[parent.pk, *parent.children.values_list("pk", flat=True)])}
    for task in Task.objects.filter(pk__in=kept):
        assert task_services.refresh_status(task, cascade=False).job_counts == kept[task.pk]
    assert kept[parent.pk] == {S.COMPLETED: 2, S.FAILED: 1, S.IN_PROGRESS: 2, S.NOT_SUPPORTED: 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_on_one_bulk_task_are_all_counted(partner, acme, globex):
    """Agents of several organizations report on the jobs of one bulk task at once (several ingest processes):
    the row lock on the top task makes every report count, in each child and in the parent."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: set DATABASE_URL=postgres://...")
    agents = {acme: agent_of(acme), globex: agent_of(globex)}
    parent = task_services.create_bulk_task({org: [printer_of(agent) for _ in range(24)] for org, agent in agents.items()},
                                            TaskType.REFRESH)

    def report(job):
        try:
            task_services.record_event(job.agent, event(job, "completed"))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(report, Job.objects.filter(task__parent=parent).select_related("agent")))
    parent.refresh_from_db()
    assert parent.job_counts == {S.COMPLETED: 48} and parent.status == T.COMPLETED
    assert [child.job_counts for child in parent.children.all()] == [{S.COMPLETED: 24}] * 2
