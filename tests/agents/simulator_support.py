"""Helpers for the printer simulator tests: fleets on their own random loopback /16 so parallel runs (and
the other helpers' tests) do not collide, and a small pysnmp client (the library the agents use)."""
from __future__ import annotations

import asyncio
import random

from agents.simulator import SimulatedFleet


def fleet_range() -> str:
    """A first address in a random 127.x.y.0/24 (x in 160..239: away from the demo fleet on 127.0.1.x)."""
    return f"127.{random.randrange(160, 240)}.{random.randrange(1, 250)}.1"


def make_fleet(printers: int = 3, **kwargs) -> SimulatedFleet:
    kwargs.setdefault("first_address", fleet_range())
    kwargs.setdefault("port", 0)
    kwargs.setdefault("seed", 7)
    return SimulatedFleet(printers=printers, **kwargs)


def pysnmp_get(address: str, port: int, oids: list[str], *, community: str = "public", version: int = 1,
               user=None, timeout: float = 1.0, retries: int = 0):
    """(errorIndication, errorStatus, {oid: value}) of one GET with pysnmp's asyncio API."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        get_cmd,
    )

    async def run():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((address, port), timeout=timeout, retries=retries)
            auth = user if user is not None else CommunityData(community, mpModel=version)
            error, status, _index, binds = await get_cmd(engine, auth, target, ContextData(),
                                                         *[ObjectType(ObjectIdentity(o)) for o in oids])
            return error, status, {str(name): value for name, value in binds}
        finally:
            engine.close_dispatcher()

    return asyncio.run(run())


def pysnmp_bulk_walk(address: str, port: int, root: str, *, community: str = "public", user=None):
    """[(oid str, value)] under `root` with GETBULK (pysnmp's bulk_walk_cmd)."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        bulk_walk_cmd,
    )

    async def run():
        engine = SnmpEngine()
        rows = []
        try:
            target = await UdpTransportTarget.create((address, port), timeout=1, retries=0)
            auth = user if user is not None else CommunityData(community, mpModel=1)
            async for error, status, _index, binds in bulk_walk_cmd(
                    engine, auth, target, ContextData(), 0, 25, ObjectType(ObjectIdentity(root)),
                    lexicographicMode=False):
                assert not error and not status, (error, status)
                rows.extend((str(name), value) for name, value in binds)
            return rows
        finally:
            engine.close_dispatcher()

    return asyncio.run(run())
