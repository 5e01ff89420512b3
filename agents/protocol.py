"""Wire protocol shared by the server and the agents: message schemas and the MQTT topic layout
(Azure IoT Hub device layout). Pure Python, no Django. Filled in by the Fleet Management issue."""

PROTOCOL_VERSION = 1


def telemetry_topic(device_id: str) -> str:
    return f"devices/{device_id}/messages/events/"


def command_topic(device_id: str) -> str:
    return f"devices/{device_id}/messages/devicebound/#"
