"""The wire protocol v1 (agents/protocol.py): what both sides may rely on. Pure Python, no database."""
import json

import pytest

from agents import protocol
from agents.protocol import ProtocolError, decode


def wire(kind="telemetry", body=None, **envelope):
    return {"v": 1, "type": kind, "id": "m1", "agent": "fleet-1", "sent_at": "2026-03-02T08:00:00Z",
            "body": body if body is not None else {"printers": [{"serial": "S1", "collected_at": "2026-03-02T08:00:00Z"}]},
            **envelope}


def test_a_message_survives_the_round_trip_through_json():
    report = protocol.PrinterReport(serial="S1", collected_at="2026-03-02T08:00:00Z", status="ready",
                                    counters={"lifetimeCount": 5},
                                    supplies=[protocol.Supply(key="1", type="Toner", color="Black", level=40)],
                                    alerts=[protocol.Alert(key="a", severity="error", supply=True)])
    message = protocol.Message(type="telemetry", agent="fleet-1", body=protocol.Telemetry([report]))
    again = decode(message.to_json())
    assert (again.id, again.agent, again.type) == (message.id, "fleet-1", "telemetry")
    assert again.body == message.body


def test_none_and_empty_text_are_left_out_of_the_wire_form():
    message = protocol.Message(type="heartbeat", agent="a", body=protocol.Heartbeat(version=""))
    assert json.loads(message.to_json())["body"] == {"status": "ok"}


def test_lists_left_out_were_not_collected_and_empty_lists_mean_none():
    report = decode(wire(body={"printers": [{"serial": "S1", "collected_at": "2026-03-02T08:00:00Z",
                                             "alerts": []}]})).body.printers[0]
    assert report.alerts == [] and report.supplies is None and report.counters is None


@pytest.mark.parametrize("raw, level, state", [(-1, None, "unrestricted"), (-2, None, "unknown"), (-3, None, "some"),
                                               (0, 0, ""), (100, 100, "")])
def test_printer_mib_special_supply_levels_become_a_level_state(raw, level, state):
    supply = protocol.Supply.parse({"key": "1", "level": raw})
    assert (supply.level, supply.level_state) == (level, state)


@pytest.mark.parametrize("payload, reason", [
    (b"\xff", "not UTF-8"),
    (b"[1]", "must be a JSON object"),
    (wire(v=2), "unsupported protocol version 2"),
    (wire(kind="command"), "unknown message type"),
    (wire(kind="nonsense"), "unknown message type"),
    (wire(id=""), "message.id must not be empty"),
    (wire(sent_at="yesterday"), "not an ISO 8601 time"),
    (wire(sent_at="2026-03-02T08:00:00"), "must carry a time zone"),
    (wire(body={"printers": []}), "at least one printer report"),
    (wire(body={"printers": [{"collected_at": "2026-03-02T08:00:00Z"}]}), "printers[0].serial is required"),
    (wire(body={"printers": [{"serial": "S", "collected_at": "2026-03-02T08:00:00Z", "counters": {"pages": 1}}]}),
     "unknown names: pages"),
    (wire(body={"printers": [{"serial": "S", "collected_at": "2026-03-02T08:00:00Z", "counters": {"lifetimeCount": -1}}]}),
     "out of range"),
    (wire(body={"printers": [{"serial": "S", "collected_at": "2026-03-02T08:00:00Z", "supplies": [{"key": "1", "level": 101}]}]}),
     "printers[0].supplies[0].level is out of range"),
    (wire(body={"printers": [{"serial": "S", "collected_at": "2026-03-02T08:00:00Z", "status": "broken"}]}),
     "printers[0].status must be one of"),
    (wire(kind="event", body={"state": "completed"}), "body.job is required"),
    (wire(kind="event", body={"job": 3}), "body.state is required"),
])
def test_a_bad_message_is_refused_with_a_readable_reason(payload, reason):
    with pytest.raises(ProtocolError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        decode(payload if isinstance(payload, bytes) else json.dumps(payload).encode())


def test_too_large_a_message_is_refused_before_parsing():
    with pytest.raises(ProtocolError, match="larger than"):
        decode(b" " * (protocol.MAX_MESSAGE_BYTES + 1))


def test_commands_decode_only_when_not_restricted_to_upstream():
    data = wire(kind="command", body={"job": 4, "command": "refresh", "printers": ["S1"]})
    assert decode(data, upstream=False).body.command == protocol.Command.REFRESH


def test_topics_follow_the_iot_hub_device_layout():
    assert protocol.telemetry_topic("fleet-1") == "devices/fleet-1/messages/events/"
    assert protocol.command_topic("fleet-1") == "devices/fleet-1/messages/devicebound/"
    assert protocol.device_of_topic("devices/fleet-1/messages/events/") == "fleet-1"
    # azure-iot-device appends url-encoded properties after the slash
    assert protocol.device_of_topic("devices/fleet-1/messages/events/%24.ct=application%2Fjson") == "fleet-1"
    assert protocol.device_of_topic("devices/fleet-1/messages/devicebound/") is None
    assert protocol.device_of_topic("devices//messages/events/") is None
    assert protocol.device_of_topic("other/fleet-1/messages/events/") is None


def test_the_counter_names_are_the_integration_apis():
    assert len(protocol.COUNTERS) == len(protocol.COUNTER_SET) == 49
    assert protocol.COUNTERS[0] == "lifetimeCount"
