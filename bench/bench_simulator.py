"""Benchmark of the printer simulator: SNMP GETs per second served for N printers (default 10,000), against
a bare UDP echo server with the same sockets in the same run (the ceiling of one Python asyncio process).

    .venv/bin/python bench/bench_simulator.py [--printers 10000] [--seconds 5] [--window 64]

Each server runs in its own process (as the simulator does in a demo); this process is the client: one UDP
socket sending v2c GETs (sysUpTime, prtMarkerLifeCount, one supply level) round-robin over every address
with `window` requests in flight. Also prints the simulator's start time (socket binding) and memory.
Loopback only (127.0.0.0/8).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.simulator import SimulatedFleet, ber, loopback_addresses  # noqa: E402
from agents.simulator.responder import raise_file_limit  # noqa: E402
from bench._django import rss_mb  # noqa: E402

OIDS = [(1, 3, 6, 1, 2, 1, 1, 3, 0), (1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1), (1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9, 1, 1)]


# ---------------------------------------------------------------------------------------------- servers
def serve_simulator(printers: int, first: str, port: int) -> None:
    started = time.perf_counter()
    fleet = SimulatedFleet(printers=printers, first_address=first, port=port, seed=1)
    built = time.perf_counter()
    fleet.start()
    print(f"ready build={built - started:.2f} bind={time.perf_counter() - built:.2f}", flush=True)
    sys.stdin.read()
    fleet.join()


def serve_echo(printers: int, first: str, port: int) -> None:
    raise_file_limit(printers + 64)
    loop = asyncio.new_event_loop()
    sockets = []
    for address in loopback_addresses(first, printers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind((address, port))
        sockets.append(sock)

    def echo(sock: socket.socket) -> None:
        for _ in range(64):
            try:
                data, peer = sock.recvfrom(65535)
            except BlockingIOError:
                return
            sock.sendto(data, peer)

    for sock in sockets:
        loop.add_reader(sock.fileno(), echo, sock)
    print("ready", flush=True)
    loop.run_until_complete(loop.run_in_executor(None, sys.stdin.read))


# ---------------------------------------------------------------------------------------------- client
def request(request_id: int) -> bytes:
    varbinds = [ber.encode_varbind(oid, b"\x05\x00") for oid in OIDS]
    return ber.encode_community_message(1, b"public", ber.encode_pdu(ber.GET, request_id, 0, 0, varbinds))


def load(addresses: list[str], port: int, seconds: float, window: int, passes: int | None = None) -> tuple[int, float]:
    """(answers, elapsed) of a closed-loop client keeping `window` requests in flight."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    payload = request(1)
    answered = sent = in_flight = 0
    total = passes * len(addresses) if passes else None
    start = time.perf_counter()
    deadline = start + seconds
    last_answer = start
    while True:
        now = time.perf_counter()
        if total is None and now >= deadline:
            break
        if total is not None and answered >= total:
            break
        while in_flight < window and (total is None or sent < total):
            sock.sendto(payload, (addresses[sent % len(addresses)], port))
            sent += 1
            in_flight += 1
        ready, _, _ = select.select([sock], [], [], 0.2)
        if not ready:
            if time.perf_counter() - last_answer > 1.0:   # lost datagrams: refill the window
                in_flight = 0
            continue
        while True:
            try:
                sock.recv(65535)
            except BlockingIOError:
                break
            answered += 1
            in_flight -= 1
            last_answer = time.perf_counter()
    sock.close()
    return answered, time.perf_counter() - start


def spawn(kind: str, printers: int, first: str, port: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--printers", str(printers),
                                "--first-address", first, "--port", str(port)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if not line.startswith("ready"):
        process.kill()
        raise SystemExit(f"{kind} server did not start: {line!r}")
    return process, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--printers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--first-address", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serve", choices=("sim", "echo"))
    args = parser.parse_args()
    if args.serve:
        (serve_simulator if args.serve == "sim" else serve_echo)(args.printers, args.first_address, args.port)
        return
    raise_file_limit(64)
    first = f"127.{random.randrange(100, 150)}.0.1"
    port = random.randrange(20000, 30000)
    addresses = loopback_addresses(first, args.printers)
    results = {}
    for kind in ("echo", "sim"):
        started = time.perf_counter()
        process, line = spawn(kind, args.printers, first, port)
        ready = time.perf_counter() - started
        try:
            cold = None
            if kind == "sim":
                answered, elapsed = load(addresses, port, 600, args.window, passes=1)
                cold = (answered, elapsed)
            answered, elapsed = load(addresses, port, args.seconds, args.window)
            results[kind] = answered / elapsed
            memory = rss_mb(process.pid)
            print(f"{kind:4}: {args.printers} printers ready in {ready:.2f} s ({line}), RSS {memory:.0f} MB, "
                  f"{answered / elapsed:,.0f} answers/s over {elapsed:.1f} s"
                  + (f"; first GET to every printer (tables compiled): {cold[0]} in {cold[1]:.1f} s" if cold else ""))
        finally:
            process.stdin.close()
            process.wait(30)
    print(f"simulator / echo = {results['sim'] / results['echo']:.2f} "
          f"({results['sim']:,.0f} vs {results['echo']:,.0f} GETs/s, window {args.window})")


if __name__ == "__main__":
    main()
