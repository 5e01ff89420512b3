"""Activation codes and activation: Fleet Agent codes (one installation, 72 hours), Local Agent codes (a count
of 1-3000 activations, updated 10-3000, expired on demand), and POST /api/agents/v1/activate with its
throttle; then GET /api/agents/v1/definition with the credentials it handed out."""
import base64
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agents.protocol import command_subscription, telemetry_topic
from fleet.choices import Activation, AgentType, CodeKind, SearchType
from fleet.models import Agent
from fleet.services import agents as svc
from fleet.services.agents import CriterionSpec, FleetSettings, ProfileSpec

ACTIVATE = "/api/agents/v1/activate"
DEFINITION = "/api/agents/v1/definition"


def basic(device_id, secret):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{device_id}:{secret}".encode()).decode()}


@pytest.fixture
def fleet_agent(acme):
    return svc.save_fleet_agent(acme, name="Fleet Agent 1")


# --- codes -----------------------------------------------------------------------------------------------
def test_a_fleet_code_is_valid_72_hours(fleet_agent):
    start = timezone.now()
    code = svc.generate_activation_code(fleet_agent, now=start)
    assert code.is_valid(start + timedelta(hours=71, minutes=59))
    assert not code.is_valid(start + timedelta(hours=72))
    with pytest.raises(svc.InvalidCode, match="The activation code is invalid or expired."):
        svc.activate(code.code, kind="fleet", now=start + timedelta(hours=72, seconds=1))
    activated = svc.activate(code.code.upper(), kind="fleet", host_name="srv.test",
                             now=start + timedelta(hours=71))   # pasted in capitals still works
    assert activated.agent == fleet_agent


def test_a_fleet_code_activates_one_installation(fleet_agent):
    code = svc.current_activation_code(fleet_agent)
    svc.activate(code.code, kind="fleet")
    with pytest.raises(svc.InvalidCode):
        svc.activate(code.code, kind="fleet")


def test_a_code_works_only_for_its_kind(acme, fleet_agent):
    fleet_code = svc.current_activation_code(fleet_agent)
    local_code = svc.generate_local_code(acme, 5)
    with pytest.raises(svc.InvalidCode):
        svc.activate(fleet_code.code, kind="local")
    with pytest.raises(svc.InvalidCode):
        svc.activate(local_code.code, kind="fleet")


@pytest.mark.parametrize("count", [0, 3001, None])
def test_local_code_count_range(acme, count):
    with pytest.raises(ValidationError) as error:
        svc.generate_local_code(acme, count)
    assert error.value.message_dict == {"activations": ["Range: 1 to 3000 activations"]}


def test_local_code_creates_one_agent_per_activation_until_used_up(acme):
    code = svc.generate_local_code(acme, 2)
    first = svc.activate(code.code, kind=CodeKind.LOCAL, host_name="DESKTOP-BN07DNN", ip_address="127.0.20.1")
    second = svc.activate(code.code, kind=CodeKind.LOCAL, host_name="PM90")
    assert first.agent.pk != second.agent.pk
    assert (first.agent.kind, first.agent.name, first.agent.polling_interval) == (AgentType.LOCAL, "DESKTOP-BN07DNN", 180)
    assert str(first.agent.ip_address) == "127.0.20.1" and first.agent.activation == Activation.ACTIVATED
    code.refresh_from_db()
    assert (code.activations, code.remaining) == (2, 0)
    with pytest.raises(svc.InvalidCode):
        svc.activate(code.code, kind=CodeKind.LOCAL, host_name="SEKHARD")
    assert svc.current_local_code(acme) is None


def test_a_new_local_code_expires_the_previous_one(acme, globex):
    first = svc.generate_local_code(acme, 10)
    theirs = svc.generate_local_code(globex, 10)
    second = svc.generate_local_code(acme, 20)
    first.refresh_from_db()
    assert first.expired_at is not None and svc.current_local_code(acme) == second
    assert svc.current_local_code(globex) == theirs


def test_update_number_of_supported_activations(acme):
    start = timezone.now()
    code = svc.generate_local_code(acme, 2, now=start)
    svc.activate(code.code, kind="local", host_name="A", now=start)
    svc.activate(code.code, kind="local", host_name="B", now=start)
    assert svc.current_local_code(acme, now=start) is None        # used up ...
    svc.update_local_activations(code, 10, now=start)
    code.refresh_from_db()
    assert (code.max_activations, code.remaining) == (10, 8)      # ... and usable again
    assert code.expires_at == start + timedelta(hours=72)        # "This will not change the expiration time"
    for bad in (9, 3001):
        with pytest.raises(ValidationError, match="Range: 10 to 3000 activations"):
            svc.update_local_activations(code, bad, now=start)


def test_an_expired_code_cannot_get_more_activations(acme):
    start = timezone.now()
    code = svc.generate_local_code(acme, 10, now=start)
    with pytest.raises(ValidationError) as error:
        svc.update_local_activations(code, 20, now=start + timedelta(hours=73))
    assert error.value.message_dict["activations"] == [
        "You cannot increase the activations allowed for an expired activation code."]
    svc.expire_code(code)
    with pytest.raises(ValidationError, match="expired activation code"):
        svc.update_local_activations(code, 20, now=start)
    with pytest.raises(svc.InvalidCode):
        svc.activate(code.code, kind="local", now=start)


def test_time_left_reads_like_the_guide(acme):
    start = timezone.now()
    code = svc.generate_local_code(acme, 10, now=start)
    assert svc.code_time_left(code, start + timedelta(minutes=30)) == "2 days 23 hours"
    assert svc.code_time_left(code, start + timedelta(hours=71, minutes=15)) == "45 minutes"


# --- device endpoint -------------------------------------------------------------------------------------
def test_activate_returns_credentials_once_and_they_authenticate(client, fleet_agent, acme):
    code = svc.current_activation_code(fleet_agent)
    response = client.post(ACTIVATE, {"code": code.code, "kind": "fleet", "host_name": "srv.acme.test",
                                      "ip_address": "127.0.21.1", "version": "3.1.0"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["device_id"] == fleet_agent.device_id
    assert body["organization"] == {"id": str(acme.pk), "name": "Acme"}
    assert body["agent"] == {"id": fleet_agent.pk, "name": "Fleet Agent 1", "kind": "fleet"}
    assert body["mqtt"]["telemetry_topic"] == telemetry_topic(fleet_agent.device_id)
    assert body["mqtt"]["command_subscription"] == command_subscription(fleet_agent.device_id)
    assert body["definition_url"].endswith(DEFINITION)
    fleet_agent.refresh_from_db()
    assert (fleet_agent.activation, fleet_agent.host_name, fleet_agent.version) == ("activated", "srv.acme.test", "3.1.0")
    assert fleet_agent.check_secret(body["secret"]) and body["secret"] not in fleet_agent.secret_digest
    definition = client.get(DEFINITION, **basic(body["device_id"], body["secret"]))
    assert definition.status_code == 200 and definition.json()["name"] == "Fleet Agent 1"


@pytest.mark.parametrize("case", ["unknown", "expired", "exhausted", "wrong_kind", "deactivated_code"])
def test_bad_codes_answer_400_with_the_guide_text(client, fleet_agent, acme, case):
    code = svc.current_activation_code(fleet_agent)
    value, kind = code.code, "fleet"
    if case == "unknown":
        value = "00000000-0000-4000-8000-000000000000"
    elif case == "expired":
        type(code).objects.filter(pk=code.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "exhausted":
        svc.activate(code.code, kind="fleet")
    elif case == "wrong_kind":
        kind = "local"
    else:
        svc.deactivate_agent(fleet_agent)
    response = client.post(ACTIVATE, {"code": value, "kind": kind}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "The activation code is invalid or expired."}


def test_another_organizations_agent_code_activates_only_that_agent(client, acme, globex):
    theirs = svc.save_fleet_agent(globex, name="Theirs")
    mine = svc.save_fleet_agent(acme, name="Mine")
    code = svc.current_activation_code(theirs)
    body = client.post(ACTIVATE, {"code": code.code, "kind": "fleet"}, content_type="application/json").json()
    assert body["organization"]["id"] == str(globex.pk) and body["device_id"] == theirs.device_id
    mine.refresh_from_db()
    assert mine.activation == Activation.REQUIRED


def test_guessing_is_throttled_per_address(client, acme):
    for _ in range(10):
        response = client.post(ACTIVATE, {"code": "guess", "kind": "local"}, content_type="application/json")
        assert response.status_code == 400
    response = client.post(ACTIVATE, {"code": "guess", "kind": "local"}, content_type="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # another address still gets through, even with a good code
    code = svc.generate_local_code(acme, 1)
    response = client.post(ACTIVATE, {"code": code.code, "kind": "local", "host_name": "PC-1"},
                           content_type="application/json", REMOTE_ADDR="127.0.0.2")
    assert response.status_code == 200


def test_successes_do_not_use_up_the_throttle(client, acme):
    code = svc.generate_local_code(acme, 30)
    for i in range(15):
        response = client.post(ACTIVATE, {"code": code.code, "kind": "local", "host_name": f"PC-{i}"},
                               content_type="application/json")
        assert response.status_code == 200
    assert Agent.objects.filter(organization=acme, kind="local").count() == 15


def test_malformed_body_is_a_400(client):
    response = client.post(ACTIVATE, {"kind": "printer"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "The activation code is invalid or expired."


# --- definition ------------------------------------------------------------------------------------------
def test_definition_needs_the_agents_own_credentials(client, fleet_agent, acme):
    assert client.get(DEFINITION).status_code == 401
    activated = svc.activate(svc.current_activation_code(fleet_agent).code, kind="fleet")
    assert client.get(DEFINITION, **basic(fleet_agent.device_id, "wrong")).status_code == 401
    other = svc.activate(svc.generate_local_code(acme, 1).code, kind="local", host_name="PC")
    assert client.get(DEFINITION, **basic(fleet_agent.device_id, other.secret)).status_code == 401
    svc.deactivate_agent(fleet_agent)
    assert client.get(DEFINITION, **basic(fleet_agent.device_id, activated.secret)).status_code == 401


def test_definition_of_a_fleet_agent(client, acme):
    agent = svc.save_fleet_agent(
        acme, name="Site", settings_=FleetSettings(search_type=SearchType.ADVANCED, refresh_interval=120),
        profiles=[svc.default_profile_spec(),
                  ProfileSpec(name="v3", version="v3", security_level="authPriv", username="u", auth_protocol="SHA",
                              auth_key="k" * 8, privacy_protocol="AES", privacy_key="p" * 8)],
        criteria=[CriterionSpec("include", "127.0.22.*", "v3"), CriterionSpec("include", "printer.acme.test")])
    secret = svc.activate(svc.current_activation_code(agent).code, kind="fleet").secret
    body = client.get(DEFINITION, **basic(agent.device_id, secret)).json()
    assert body["criteria"]["include"] == [{"address": "127.0.22.*", "profile": "v3"},
                                           {"address": "printer.acme.test", "profile": "Default"}]
    assert [p["name"] for p in body["snmp_profiles"]] == ["Default", "v3"]
    assert body["snmp_profiles"][1]["privacy_key"] == "pppppppp"
    assert (body["refresh_interval_minutes"], body["discovery_interval_hours"], body["network_delay_ms"]) == (120, 24, 250)


def test_definition_of_a_local_agent(client, acme):
    activated = svc.activate(svc.generate_local_code(acme, 1).code, kind="local", host_name="PC")
    svc.edit_agent_settings(acme, [activated.agent], log_level="detailed", polling_interval=60)
    body = client.get(DEFINITION, **basic(activated.agent.device_id, activated.secret)).json()
    assert (body["kind"], body["polling_interval_minutes"], body["log_level"]) == ("local", 60, "detailed")
    assert body["definition_version"] == 2 and "snmp_profiles" not in body


def test_activate_route_is_the_agents_api():
    assert reverse("agents-api:activate") == ACTIVATE
