"""GET /healthz: reachability of the database, the Celery broker and the MQTT broker, as JSON.
Answers 200 when everything configured is reachable, 503 otherwise."""
import socket
import time
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import JsonResponse


def _timed(check):
    started = time.monotonic()
    try:
        detail = check()
        result = {"ok": True}
        if detail:
            result.update(detail)
    except Exception as exc:  # a health probe reports every failure, whatever its type
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"engine": connection.vendor}


def check_broker():
    from lexcloud.celery import app

    url = app.conf.broker_url or ""
    if url.startswith("filesystem://"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        return {"transport": "filesystem", "folder": folder}
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return {"transport": conn.transport_cls if isinstance(conn.transport_cls, str) else "amqp"}


def check_mqtt():
    import paho.mqtt.client as mqtt

    url = urlparse(settings.MQTT_URL)
    connected = {}
    client = mqtt.Client(client_id=f"lexcloud-healthz-{socket.gethostname()}-{time.monotonic_ns()}")
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.scheme in ("mqtts", "ssl"):
        client.tls_set()
    client.on_connect = lambda c, u, f, rc: connected.setdefault("rc", rc)
    client.connect(url.hostname or "127.0.0.1", url.port or (8883 if url.scheme in ("mqtts", "ssl") else 1883),
                   keepalive=5)
    deadline = time.monotonic() + 3
    while "rc" not in connected and time.monotonic() < deadline:
        client.loop(timeout=0.1)
    client.disconnect()
    if connected.get("rc") != 0:
        raise ConnectionError(f"MQTT CONNACK not accepted (rc={connected.get('rc')})")
    return {"broker": f"{url.hostname}:{url.port or 1883}"}


def healthz(request):
    checks = {"database": _timed(check_database), "broker": _timed(check_broker)}
    checks["mqtt"] = _timed(check_mqtt) if settings.MQTT_URL else {"ok": True, "configured": False}
    healthy = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
