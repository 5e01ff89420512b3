"""The production stack description and the README stay true to the settings."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _settings_env_names():
    text = (ROOT / "lexcloud" / "settings.py").read_text()
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', text)) | set(re.findall(r'Env\(\)\.str\("([A-Z_]+)"', text))


def test_docker_compose_has_the_stack_and_configures_it_through_settings_variables():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "mosquitto"} <= set(services)
    assert "celery -A lexcloud worker" in services["worker"]["command"]
    assert "celery -A lexcloud beat" in services["beat"]["command"]
    assert "gunicorn lexcloud.wsgi" in services["web"]["command"]
    for name in ("postgres", "redis", "mosquitto"):
        assert services[name]["image"]
    # nothing lost across restarts: the broker persists sessions, each ingest process keeps its own session
    assert "--client-id" in services["mqtt-ingest"]["command"]
    assert "persistence true" in (ROOT / "deploy" / "mosquitto.conf").read_text()
    known = _settings_env_names()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert set(env) <= known, f"{name} sets variables the settings do not read: {set(env) - known}"
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
        assert env["MQTT_URL"].startswith("mqtt://")


def test_readme_documents_every_setting_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))
    assert _settings_env_names() <= documented, f"undocumented: {_settings_env_names() - documented}"


def test_procfile_runs_web_worker_beat_and_the_mail_sink():
    procs = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert {"web", "worker", "beat", "mail"} <= set(procs)
    assert "filesystem" not in procs["worker"]  # the transport comes from settings, not the command line
    # the simulated lab fleet and the Fleet Agent that discovers it, configured by `make demo`
    assert "demo.toml" in procs["printers"] and "var/demo-agent/agent.toml" in procs["agent"]
    assert "--lab-agent var/demo-agent" in (ROOT / "Makefile").read_text()
