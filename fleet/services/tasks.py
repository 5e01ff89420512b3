"""Tasks and jobs: create them, send their commands to agents, apply agents' events, stop and expire them.

Contract other services rely on (keep these signatures):
- create_task(organization, task_type, *, printers=(), agents=(), args=None, user=None) -> Task
  one job per printer (sent to the printer's agent) and one per agent given; jobs whose printer cannot be
  reached are closed at once (see the task status rules); commands are published after commit.
- record_event(agent, event: agents.protocol.Event) -> Job | None   (from fleet.services.ingest)
"""
from django.db import transaction

from ..choices import TaskType
from ..models import Job, Task


@transaction.atomic
def create_task(organization, task_type: TaskType, *, printers=(), agents=(), args=None, user=None) -> Task:
    task = Task.objects.create(organization=organization, task_type=task_type, args=args or {}, created_by=user)
    Job.objects.bulk_create(
        [Job(task=task, organization=organization, printer=p, agent=p.agent, target=p.identifier) for p in printers]
        + [Job(task=task, organization=organization, agent=a, target=a.name) for a in agents])
    return task


def record_event(agent, event):
    """Apply an agent's job event. Filled in by the Tasks work."""
    return None
