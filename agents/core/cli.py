"""The command line shared by `lexcloud-fleet-agent` and `lexcloud-local-agent`: activate, run, status,
test-connection, deactivate (forget credentials locally)."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from .. import __version__
from .activation import ActivationFailed, activate
from .config import AgentConfig, StateDir


def parser(kind: str, description: str) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=f"lexcloud-{kind}-agent", description=description)
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    top.add_argument("--config", help="TOML configuration file (server, activation_code, [web], ...)")
    top.add_argument("--state-dir", help="where credentials, definition, outbox and log are kept")
    top.add_argument("--insecure", action="store_true", default=None, help="do not verify TLS certificates (lab)")
    top.add_argument("--ca-file", help="CA bundle for the server and the broker")
    top.add_argument("--proxy", help="HTTP(S) proxy for REST calls, e.g. http://proxy:3128")
    commands = top.add_subparsers(dest="command", required=True)

    act = commands.add_parser("activate", help="activate with the 72-hour activation code from the portal")
    act.add_argument("--server", help="the portal's URL, e.g. https://lexcloud.example.test")
    act.add_argument("--code", help="the activation code")
    act.add_argument("--host-name", help="the name the portal shows (default: this host's name)")

    run = commands.add_parser("run", help="run the agent (activates first when the configuration has a code)")
    run.add_argument("--server", help="server URL for silent activation")
    run.add_argument("--code", help="activation code for silent activation")
    run.add_argument("--mqtt-url", help="broker URL overriding the one from activation ('-': REST only)")
    run.add_argument("--web-port", type=int, help="local page port (default 80)")
    run.add_argument("--web-bind", help="local page address (default 127.0.0.1: this host only)")
    run.add_argument("--web-password", help="password of the local page (HTTP Basic, any user name)")
    run.add_argument("--no-web", action="store_true", help="do not serve the local page")
    run.add_argument("--log-level", help="override the definition's log level (debug, info, warning)")
    if kind == "local":
        run.add_argument("--polling-interval", type=int, help="minutes between polls (default 180)")

    commands.add_parser("status", help="print the activation state and what is queued")
    commands.add_parser("test-connection", help="Test Agent Connection: server and broker")
    commands.add_parser("deactivate", help="forget this installation's credentials")
    return top


def load(args, kind: str) -> AgentConfig:
    overrides = {"state_dir": args.state_dir, "ca_file": args.ca_file, "proxy": args.proxy,
                 "verify_tls": False if args.insecure else None}
    if args.command in ("activate", "run"):
        overrides.update(server=getattr(args, "server", None), activation_code=getattr(args, "code", None))
    if args.command == "activate":
        overrides["host_name"] = args.host_name
    if args.command == "run":
        overrides.update(mqtt_url=args.mqtt_url, web_port=args.web_port, web_bind=args.web_bind,
                         web_password=args.web_password, log_level=args.log_level,
                         web_enabled=False if args.no_web else None,
                         polling_interval_minutes=getattr(args, "polling_interval", None))
    return AgentConfig.load(args.config, kind, **overrides)


def main(kind: str, description: str, argv=None) -> int:
    args = parser(kind, description).parse_args(argv)
    try:
        config = load(args, kind)
    except (OSError, ValueError, TypeError) as error:
        print(f"configuration: {error}", file=sys.stderr)
        return 2
    state = StateDir(config.state_dir)
    if args.command == "activate":
        try:
            credentials = activate(config, state)
        except ActivationFailed as error:
            print(f"Activation failed: {error}", file=sys.stderr)
            return 1
        print(f"Activated: {credentials.agent.get('name', '')} ({credentials.device_id}) for "
              f"{credentials.organization.get('name', '')}. Credentials in {state.path}.")
        return 0
    if args.command == "deactivate":
        state.forget()
        print(f"Credentials forgotten ({state.path}).")
        return 0
    from .runner import AgentRuntime

    runtime = AgentRuntime(config)
    if args.command == "status":
        runtime.credentials = state.credentials()
        runtime.definition = state.definition() or {}
        runtime.printers = state.printers()
        runtime.phase = "Activated" if runtime.credentials else "Activation required"
        print(json.dumps(runtime.status(), indent=2, default=str))
        return 0
    if args.command == "test-connection":
        runtime.credentials = state.credentials()
        checks = runtime.test_connection()
        for name, (ok, detail) in checks.items():
            print(f"{name}: {'Success' if ok else 'Failed'} - {detail}")
        return 0 if all(ok for ok, _ in checks.values()) else 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: runtime.stop())
    return runtime.run_forever()
