"""GET /healthz against the real database, Celery broker and MQTT broker."""
import os

import pytest

from lexcloud.celery import app
from tests.services import require


@pytest.fixture
def redis_broker():
    require("127.0.0.1", 6379, "redis-server")
    old = app.conf.broker_url
    app.conf.broker_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    yield
    app.conf.broker_url = old


def test_healthz_reports_every_dependency_reachable(db, client, settings, redis_broker):
    require("127.0.0.1", 1883, "mosquitto")
    settings.MQTT_URL = os.environ.get("MQTT_URL") or "mqtt://127.0.0.1:1883"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "mqtt"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["mqtt"]["broker"].endswith(":1883")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert body["checks"]["database"]["engine"] == "postgresql"


def test_healthz_is_degraded_when_the_mqtt_broker_is_down(db, client, settings):
    settings.MQTT_URL = "mqtt://127.0.0.1:9"  # discard port: nothing listens
    response = client.get("/healthz")
    assert response.status_code == 503
    mqtt = response.json()["checks"]["mqtt"]
    assert mqtt["ok"] is False and mqtt["error"]


def test_healthz_is_degraded_when_the_celery_broker_is_down(db, client):
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = old
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_healthz_without_mqtt_configured_says_so(db, client, settings):
    settings.MQTT_URL = ""
    body = client.get("/healthz").json()
    assert body["checks"]["mqtt"] == {"ok": True, "configured": False}


def test_the_configured_redis_cache_shares_counters_between_clients():
    """Sign-in throttling relies on a cache every web process shares: Redis when REDIS_URL is set."""
    require("127.0.0.1", 6379, "redis-server")
    from django.core.cache.backends.redis import RedisCache

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    first, second = (RedisCache(url, {"KEY_PREFIX": "lexcloud-test"}) for _ in range(2))
    key = f"shared-{os.getpid()}"
    first.set(key, 1, 30)
    first.incr(key)
    assert second.get(key) == 2
    second.delete(key)
