"""The command dispatcher: every command from the server (over MQTT or REST, possibly both) is run once per job
id; each job is acknowledged (`in_progress`), then finished with the protocol's job states as `event`
messages. A command for several printers carries `args["jobs"]` (serial -> job id), and each of those jobs
gets its own outcome (fleet.services.commands groups them)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..protocol import CommandMessage, Event, JobState

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How a job ended: a JobState other than in_progress, a message for the Tasks page, a result."""

    state: str = JobState.COMPLETED
    message: str = ""
    result: dict = field(default_factory=dict)


def jobs_of(command: CommandMessage) -> dict[str, int]:
    """serial (or "" for the agent itself) -> job id."""
    grouped = command.args.get("jobs")
    if isinstance(grouped, dict) and grouped:
        return {str(serial): int(job) for serial, job in grouped.items()}
    return {command.printers[0] if len(command.printers) == 1 else "": command.job}


# A handler does the work of one command: it gets the command, its jobs and a progress callback, and answers
# one Outcome for all its jobs or a dict job id -> Outcome (missing jobs count as completed).
Handler = Callable[[CommandMessage, dict[str, int], Callable[[int], None]],
                   Awaitable["Outcome | dict[int, Outcome]"]]


class Dispatcher:
    """Routes commands to handlers, acknowledges and reports. `first_sight(job)` is the durable dedupe
    (Outbox.first_sight); `emit(event)` queues an event message."""

    def __init__(self, handlers: dict[str, Handler], emit: Callable[[Event], None],
                 first_sight: Callable[[int], bool]):
        self.handlers, self.emit, self.first_sight = handlers, emit, first_sight
        self.handled = 0

    def fresh(self, command: CommandMessage) -> bool:
        """Whether this command is new; a job id seen before (MQTT and REST both hand it out) is skipped."""
        jobs = jobs_of(command)
        new = [job for job in jobs.values() if self.first_sight(job)]
        if not new:
            log.debug("command %s job %s: seen before, skipped", command.command, command.job)
        return bool(new)

    async def run(self, command: CommandMessage) -> None:
        """Acknowledge, run, report. Never raises: a failing handler fails its jobs."""
        jobs = jobs_of(command)
        handler = self.handlers.get(command.command)
        log.info("command %s (job %s, %d job(s))", command.command, command.job, len(jobs))
        if handler is None:
            for job in jobs.values():
                self.emit(Event(job=job, state=JobState.NOT_SUPPORTED,
                                message=f"This agent does not support {command.command}."))
            return
        for job in jobs.values():
            self.emit(Event(job=job, state=JobState.IN_PROGRESS, progress=0))

        def progress(percent: int) -> None:
            for job in jobs.values():
                self.emit(Event(job=job, state=JobState.IN_PROGRESS, progress=max(0, min(100, int(percent)))))

        try:
            outcome = await handler(command, jobs, progress)
        except Exception as error:   # the job fails, the agent runs on
            log.exception("command %s (job %s) failed", command.command, command.job)
            outcome = Outcome(JobState.FAILED, f"{type(error).__name__}: {error}"[:1000])
        outcomes = outcome if isinstance(outcome, dict) else {job: outcome for job in jobs.values()}
        for job in jobs.values():
            done = outcomes.get(job) or Outcome()
            self.emit(Event(job=job, state=done.state, message=done.message[:1000], result=done.result,
                            progress=100 if done.state == JobState.COMPLETED else None))
        self.handled += 1
