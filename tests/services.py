"""Helpers for tests that talk to the machine's real services (PostgreSQL, Redis, Mosquitto).
Locally a missing service skips the test with the package to install; in CI (LEXCLOUD_REQUIRE_SERVICES=1)
it fails instead."""
import os
import socket

import pytest


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(host: str, port: int, package: str):
    if reachable(host, port):
        return
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(f"{package} is not reachable on {host}:{port}")
    pytest.skip(f"needs {package} on {host}:{port} (apt-get install {package})")
