"""The agent's local page: served on 127.0.0.1 only by default, with or without a password, showing the agent's
status, activation state and proxy settings; its Test Agent Connection button reports success against a real
server and broker, and failure when they are down."""
import base64
import urllib.error
import urllib.request

import pytest

from agents.fleet_agent import main as fleet_main
from fleet.services import agents as agent_services
from tests.services import require

from .agent_support import FakeCollector, agent_config, dead_url, start_agent, wait_until


def fetch(url, *, password=None, data=None):
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{password}".encode()).decode())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.fixture
def agents_started():
    started = []

    def start(config, *, wait=True):
        running = start_agent(config, FakeCollector())
        started.append(running)
        if wait:
            running.wait_started()
        wait_until(lambda: running.runtime.page is not None, what="the local page")
        return running

    yield start
    for running in started:
        running.stop()


def page_url(running) -> str:
    host, port = running.runtime.page.server.server_address[:2]
    return f"http://{host}:{port}"


def test_an_agent_waiting_for_activation_shows_it_on_a_local_only_page(tmp_path, agents_started):
    config = agent_config(tmp_path, server=dead_url(), web=True, proxy="http://proxy.example.test:3128")
    running = agents_started(config, wait=False)
    assert running.runtime.page.server.server_address[0] == "127.0.0.1"
    wait_until(lambda: running.runtime.phase == "Activation required")
    status, body = fetch(page_url(running) + "/")
    assert status == 200
    assert "Activation required" in body and "http://proxy.example.test:3128" in body
    assert "Test Agent Connection" in body


def test_the_password_protects_the_page(tmp_path, agents_started):
    config = agent_config(tmp_path, server=dead_url(), web=True)
    config.web.password = "s3cret-page"
    running = agents_started(config, wait=False)
    url = page_url(running) + "/"
    assert fetch(url)[0] == 401
    assert fetch(url, password="wrong")[0] == 401
    status, body = fetch(url, password="s3cret-page")
    assert status == 200 and "Agent status" in body
    assert fetch(page_url(running) + "/test", data=b"")[0] == 401


def test_test_agent_connection_reports_failure_when_server_and_broker_are_down(tmp_path, agents_started):
    config = agent_config(tmp_path, server=dead_url(), mqtt_url=dead_url("mqtt"), web=True)
    running = agents_started(config, wait=False)
    status, body = fetch(page_url(running) + "/test", data=b"")
    assert status == 200
    assert "Test Agent Connection: Failed" in body
    assert body.count("Failed &mdash;") == 2          # the server and the broker


@pytest.mark.django_db(transaction=True)
def test_test_agent_connection_reports_success_against_the_real_server_and_broker(
        tmp_path, agents_started, live_server, acme, settings):
    require("127.0.0.1", 1883, "mosquitto")
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    fleet = agent_services.save_fleet_agent(acme, name="Fleet Agent Page")
    config = agent_config(tmp_path, server=live_server.url, mqtt_url="", web=True)
    code = agent_services.current_activation_code(fleet).code
    assert fleet_main(["--state-dir", str(config.state_dir), "activate", "--server", live_server.url,
                       "--code", code]) == 0
    running = agents_started(config)
    status, body = fetch(page_url(running) + "/test", data=b"")
    assert status == 200
    assert "Test Agent Connection: Success" in body, body
    assert "Activated" in body and "Fleet Agent Page" in body
