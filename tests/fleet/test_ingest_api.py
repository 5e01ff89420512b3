"""REST fallback of telemetry ingest: POST /api/agents/v1/messages, authenticated by the agent's own
credentials (HTTP Basic device_id:secret)."""
import base64
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from fleet.models import Printer, ProcessedMessage

from .telemetry import T0, envelope, make_agent, make_printer, report, telemetry

URL = "/api/agents/v1/messages"


@pytest.fixture
def agent(acme):
    return make_agent(acme)


def client_for(agent, secret=None):
    client = APIClient()
    token = base64.b64encode(f"{agent.device_id}:{secret or agent.secret}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


def post(client, data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def test_the_route_is_named_in_the_agents_api():
    assert reverse("agents-api:messages") == URL


def test_without_or_with_wrong_credentials_the_answer_is_401(agent):
    data = telemetry(agent, report("SN1"))
    assert post(APIClient(), data).status_code == 401
    assert post(client_for(agent, secret="wrong"), data).status_code == 401


def test_an_agent_that_is_not_activated_gets_401(acme):
    inactive = make_agent(acme, active=False)
    assert post(client_for(inactive), telemetry(inactive, report("SN1"))).status_code == 401


def test_one_envelope_is_applied_and_answered_with_counts(agent):
    printer = make_printer(agent, "SN1")
    response = post(client_for(agent), telemetry(agent, report("SN1", T0, status="ready")))
    assert response.status_code == 202
    assert response.json() | {"problems": []} == {"applied": 1, "duplicates": 0, "refused": 0, "errors": 0,
                                                   "reports": 1, "stale": 0, "refused_reports": 0, "problems": []}
    printer.refresh_from_db()
    assert printer.status == "ready" and printer.last_data_refresh == T0


def test_a_deactivated_agent_fetches_its_stop_command_reports_it_and_is_then_locked_out(acme, agent):
    from fleet.choices import JobStatus, TaskType
    from fleet.models import Job
    from fleet.services.agents import deactivate_agent

    client = client_for(agent)
    assert post(client, envelope(agent, "heartbeat", {"version": "1.0"})).status_code == 202   # communicating
    deactivate_agent(agent)
    assert post(client, telemetry(agent, report("SN1"))).json()["refused"] == 1   # no more data
    commands = client.get(reverse("agents-api:commands")).json()["commands"]
    job_id = next(c["body"]["job"] for c in commands if c["body"]["command"] == "deactivate")
    done = envelope(agent, "event", {"job": job_id, "state": "completed"})
    assert post(client, done).json()["applied"] == 1
    assert Job.objects.get(pk=job_id, task__task_type=TaskType.DEACTIVATE_AGENT).status == JobStatus.COMPLETED
    assert client.get(reverse("agents-api:commands")).status_code == 401            # the secret is gone


def test_a_list_of_envelopes_counts_duplicates_and_refused_reports(agent):
    make_printer(agent, "SN1")
    first = telemetry(agent, report("SN1", T0))
    response = post(client_for(agent), [first, first, telemetry(agent, report("NOT-MINE", T0))])
    assert response.status_code == 202
    body = response.json()
    assert (body["applied"], body["duplicates"], body["refused_reports"]) == (2, 1, 1)
    assert "NOT-MINE" in body["problems"][0]


def test_an_envelope_of_another_agent_is_403_and_nothing_is_applied(acme, agent):
    other = make_agent(acme)
    printer = make_printer(other, "SN2")
    mine = telemetry(agent, report("SN1", T0))
    response = post(client_for(agent), [mine, telemetry(other, report("SN2", T0, status="error"))])
    assert response.status_code == 403 and other.device_id in response.json()["detail"]
    printer.refresh_from_db()
    assert printer.status == "unknown" and not ProcessedMessage.objects.exists()


@pytest.mark.parametrize("body, text", [
    (b"{nope", "not JSON"),
    (b"[]", "non-empty list"),
    (json.dumps({"v": 2, "type": "telemetry"}).encode(), "unsupported protocol version 2"),
    (None, "printers[0].collected_at is required"),
])
def test_a_bad_payload_is_400_with_the_protocol_reason_and_applies_nothing(agent, body, text):
    make_printer(agent, "SN1")
    if body is None:   # the second envelope lacks collected_at: the first is not applied either
        good = telemetry(agent, report("SN1", T0, status="ready"))
        bad = envelope(agent, "telemetry", {"printers": [{"serial": "SN1"}]})
        body = json.dumps([good, bad]).encode()
        text = "messages[1]: " + text
    response = client_for(agent).post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert text in response.json()["detail"]
    assert Printer.objects.get(serial="SN1").status == "unknown"


def test_a_heartbeat_over_rest_marks_the_agent_communicating(agent):
    response = post(client_for(agent), envelope(agent, "heartbeat", {"version": "2.0.1"}))
    assert response.status_code == 202
    agent.refresh_from_db()
    assert agent.version == "2.0.1" and agent.last_communication is not None
