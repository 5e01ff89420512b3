"""Fixtures shared by the agents' tests."""
import pytest

from tests.services import require

BROKER = "mqtt://127.0.0.1:1883"


@pytest.fixture
def broker(settings):
    """The machine's Mosquitto on 127.0.0.1:1883, as the server's MQTT_URL (skipped, naming the package, when
    it is not running; failed under LEXCLOUD_REQUIRE_SERVICES)."""
    require("127.0.0.1", 1883, "mosquitto")
    settings.MQTT_URL = BROKER
    return BROKER
