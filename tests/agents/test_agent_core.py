"""The agent runtime's parts that need no server: the SQLite outbox (order, ids, survival across a reopen), the
durable job dedupe, the command dispatcher's job states, the configuration file and the private state files."""
import asyncio
import os
import stat

import pytest

from agents import protocol
from agents.core.activation import ActivationFailed, ensure_activated
from agents.core.commands import Dispatcher, Outcome, jobs_of
from agents.core.config import AgentConfig, Credentials, StateDir
from agents.core.outbox import Outbox
from agents.protocol import Command, CommandMessage, Heartbeat, JobState, Message, MessageType


def heartbeat(n: int) -> Message:
    return Message(type=MessageType.HEARTBEAT, agent="fleet-test", body=Heartbeat(version=f"1.{n}"))


def test_the_outbox_keeps_messages_in_order_across_a_reopen(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    messages = [heartbeat(n) for n in range(5)]
    box.put_many(messages[:3])
    box.put(messages[1])                        # the same id twice is kept once
    box.put_many(messages[3:])
    box.close()
    box = Outbox(tmp_path / "outbox.sqlite3")
    pending = box.peek()
    assert [p.id for p in pending] == [m.id for m in messages]
    assert protocol.decode(pending[2].payload).body.version == "1.2"
    box.remove([messages[0].id, messages[1].id])
    assert [p.id for p in box.peek(2)] == [messages[2].id, messages[3].id]
    assert len(box) == 3


def test_a_job_id_is_seen_once_even_after_a_restart(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    assert box.first_sight(41) and not box.first_sight(41)
    box.close()
    assert not Outbox(tmp_path / "outbox.sqlite3").first_sight(41)


def run(dispatcher, command):
    asyncio.run(dispatcher.run(command))


def test_grouped_jobs_each_get_their_own_outcome(tmp_path):
    events = []

    async def refresh(command, jobs, progress):
        progress(50)
        return {jobs["A"]: Outcome(), jobs["B"]: Outcome(JobState.FAILED, "The printer did not answer.")}

    command = CommandMessage(job=7, command=Command.REFRESH, printers=["A", "B"], args={"jobs": {"A": 7, "B": 8}})
    assert jobs_of(command) == {"A": 7, "B": 8}
    run(Dispatcher({Command.REFRESH: refresh}, events.append, lambda job: True), command)
    assert [(e.job, e.state, e.progress) for e in events] == [
        (7, "in_progress", 0), (8, "in_progress", 0), (7, "in_progress", 50), (8, "in_progress", 50),
        (7, "completed", 100), (8, "failed", None)]
    assert events[-1].message == "The printer did not answer."


def test_unknown_commands_are_not_supported_and_a_crash_fails_the_job():
    events = []

    async def broken(command, jobs, progress):
        raise RuntimeError("walk interrupted")

    dispatcher = Dispatcher({Command.MIB_WALK: broken}, events.append, lambda job: True)
    run(dispatcher, CommandMessage(job=1, command=Command.PANEL_NOTIFICATION, printers=["A"]))
    run(dispatcher, CommandMessage(job=2, command=Command.MIB_WALK, printers=["A"]))
    assert [(e.job, e.state) for e in events] == [(1, "not_supported"), (2, "in_progress"), (2, "failed")]
    assert "walk interrupted" in events[-1].message


def test_a_duplicate_command_is_not_fresh(tmp_path):
    box = Outbox(tmp_path / "outbox.sqlite3")
    dispatcher = Dispatcher({}, lambda event: None, box.first_sight)
    command = CommandMessage(job=3, command=Command.REFRESH)
    assert dispatcher.fresh(command) and not dispatcher.fresh(command)


def test_the_config_file_and_command_line_options(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('server = "https://lexcloud.example.test"\nactivation_code = "abc"\n'
                    f'state_dir = "{tmp_path / "state"}"\n[web]\nport = 8080\n[[printers]]\naddress = "127.0.1.1"\n')
    config = AgentConfig.load(path, "local", web_password="pw", proxy=None)
    assert (config.kind, config.server, config.web.port, config.web.bind, config.web.password) == (
        "local", "https://lexcloud.example.test", 8080, "127.0.0.1", "pw")
    assert config.printers == [{"address": "127.0.1.1"}]
    path.write_text('surprise = 1\n')
    with pytest.raises(ValueError, match="unknown settings surprise"):
        AgentConfig.load(path, "fleet")


def test_credentials_are_private_and_forgotten(tmp_path):
    state = StateDir(tmp_path / "state")
    state.save_credentials(Credentials(device_id="fleet-1", secret="s", server="http://127.0.0.1:1"))
    assert stat.S_IMODE(os.stat(state.file("credentials.json")).st_mode) == 0o600
    assert state.credentials().device_id == "fleet-1"
    state.forget()
    assert state.credentials() is None


def test_a_deactivated_installation_does_not_activate_again_with_the_same_code(tmp_path):
    config = AgentConfig(kind="local", state_dir=tmp_path / "state", server="http://127.0.0.1:9",
                         activation_code="code-1")
    state = StateDir(config.state_dir)
    state.mark_deactivated("code-1", "2026-12-03T00:00:00Z")
    assert ensure_activated(config, state) is None          # no call to the (unreachable) server
    config.activation_code = "code-2"
    with pytest.raises(ActivationFailed, match="could not be reached"):
        ensure_activated(config, state)
