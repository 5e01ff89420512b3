"""The "MIB Walk" command: walk a printer's MIB and render it as net-snmp's `snmpwalk -On` prints it, so the
uploaded file reads like the walks support people already know."""
from __future__ import annotations

from .client import Session, Value
from .oids import dotted, oid
from .profiles import Profile

MAX_LINES = 50_000
_PRINTABLE = set(range(0x20, 0x7F)) | {0x09, 0x0A, 0x0D}


def format_value(value: Value) -> str:
    """One value the way `snmpwalk -On` prints it (without MIB files)."""
    kind, raw = value.kind, value.value
    if kind in ("STRING", "Opaque"):
        data = raw if isinstance(raw, bytes) else b""
        if data and not all(b in _PRINTABLE for b in data):
            return "Hex-STRING: " + " ".join(f"{b:02X}" for b in data) + " "
        text = data.decode("latin-1").replace("\\", "\\\\").replace('"', '\\"')
        return f'STRING: "{text}"' if kind == "STRING" else f"Opaque: {text}"
    if kind == "OID":
        return f"OID: .{raw}"
    if kind == "Timeticks":
        ticks = int(raw)
        days, rest = divmod(ticks, 8640000)
        hours, rest = divmod(rest, 360000)
        minutes, rest = divmod(rest, 6000)
        seconds, hundredths = divmod(rest, 100)
        clock = f"{hours}:{minutes:02d}:{seconds:02d}.{hundredths:02d}"
        return f"Timeticks: ({ticks}) {days} day{'s' if days != 1 else ''}, {clock}" if days \
            else f"Timeticks: ({ticks}) {clock}"
    if kind == "NULL":
        return '""'
    return f"{kind}: {raw}"


async def mib_walk(address: str, profile: Profile, root: str = "1.3.6.1", *,
                   max_lines: int = MAX_LINES) -> str:
    """The walk of `root` at `address`, one line per object (".1.3.6... = TYPE: value"), GETBULK for
    v2c/v3 and GETNEXT for v1; stops at MAX_LINES and says so on the last line."""
    session = await Session.open(address, profile)
    base = oid(root)
    found = await session.walk([base], max_rows=max_lines)
    lines = [f".{dotted(base + suffix)} = {format_value(value)}" for suffix, value in found[base].items()]
    if len(lines) >= max_lines:
        lines.append(f"# stopped after {max_lines} objects")
    if not lines:
        lines.append(f".{dotted(base)} = No Such Object available on this agent at this OID")
    return "\n".join(lines) + "\n"
