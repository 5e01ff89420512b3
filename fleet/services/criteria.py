"""Fleet Agent discovery criteria as text: the address formats the guide accepts ("Valid formats: 10.20.15.27,
10.20.15.*, 10.20.*.*, 10.20.15.3-10.20.15.34, myprinter.domain.com"), and the CSV/TXT files criteria are
imported from and exported to. Pure functions: fleet.services.agents writes the rows."""
import csv
import io
import ipaddress
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from lexcloud.csvfile import decode_file, read_lines

from ..choices import CriterionKind

VALID_FORMATS = ("Valid formats: 10.20.15.27, 10.20.15.*, 10.20.*.*, 10.20.15.3-10.20.15.34, "
                 "myprinter.domain.com")
MAX_RANGE_ADDRESSES = 65536          # a range may span at most a /16, as the widest wildcard (10.20.*.*)
ADDRESS_HEADER, PROFILE_HEADER = "Address", "SNMP Profile"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _ipv4(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


def _wildcard(text: str) -> str | None:
    """"10.20.15.*" or "10.20.*.*": fixed leading octets, then one or two "*" (a /24 or a /16)."""
    parts = text.split(".")
    if len(parts) != 4 or "*" not in parts:
        return None
    stars = parts.index("*")
    if stars < 2 or any(p != "*" for p in parts[stars:]):
        return None
    if _ipv4(".".join(parts[:stars] + ["0"] * (4 - stars))) is None or any(
            not p.isdigit() or len(p) > 3 for p in parts[:stars]):
        return None
    return ".".join(str(int(p)) for p in parts[:stars]) + ".*" * (4 - stars)


def _range(text: str) -> str | None:
    first, sep, last = text.partition("-")
    if not sep:
        return None
    start, end = _ipv4(first.strip()), _ipv4(last.strip())
    if start is None or end is None:
        return None
    if start > end:
        raise ValidationError(f'"{text}": the first address of a range must not be greater than the last.',
                              code="range_order")
    if int(end) - int(start) + 1 > MAX_RANGE_ADDRESSES:
        raise ValidationError(f'"{text}": a range can hold at most {MAX_RANGE_ADDRESSES} addresses '
                              "(use a wildcard such as 10.20.*.* for a whole subnet).", code="range_size")
    return f"{start}-{end}"


def _hostname(text: str) -> str | None:
    name = text.lower().rstrip(".")
    if not name or len(name) > 253 or name.replace(".", "").isdigit():
        return None
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return None
    return name


def normalize_address(text: str) -> str:
    """The address in its stored form (single IPv4, wildcard, range or host name), or ValidationError."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("Enter an address.", code="required")
    single = _ipv4(text)
    if single is not None:
        return str(single)
    for parse in (_wildcard, _range, _hostname):
        value = parse(text)
        if value:
            return value
    raise ValidationError(f'"{text}" is not a valid address. {VALID_FORMATS}', code="invalid")


def split_addresses(text: str) -> list[str]:
    """Addresses typed in one field: separated by new lines, commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


@dataclass
class CriterionRow:
    line: int
    address: str
    profile: str = ""


def parse_criteria_file(content: str | bytes, kind: str, profiles: set[str]) -> list[CriterionRow]:
    """Rows of an uploaded CSV/TXT file ("Address" and, for included addresses, "SNMP Profile"; a header
    line is optional; a blank profile means the default one). Every bad line is reported with its number
    in one ValidationError, so nothing is written from a file with an error."""
    text = decode_file(content)
    header, lines, errors = read_lines(text, skipinitialspace=True)
    if header is None:
        raise ValidationError("The file is empty.", code="empty")
    messages = [f"Line {e['line']}: {e['reason']}" for e in errors]
    if header and header[0].strip().lower() not in (ADDRESS_HEADER.lower(), "ip address"):
        lines = [(1, header), *lines]  # no header: the first line is an address
    rows = []
    by_name = {name.lower(): name for name in profiles}
    for number, cells in lines:
        address = cells[0].strip() if cells else ""
        profile = cells[1].strip() if len(cells) > 1 and kind == CriterionKind.INCLUDE else ""
        try:
            address = normalize_address(address)
        except ValidationError as error:
            messages.append(f"Line {number}: {' '.join(error.messages)}")
            continue
        if profile and profile.lower() not in by_name:
            messages.append(f'Line {number}: the SNMP profile "{profile}" does not exist.')
            continue
        rows.append(CriterionRow(number, address, by_name.get(profile.lower(), "")))
    if messages:
        raise ValidationError(messages, code="lines")
    if not rows:
        raise ValidationError("The file has no address.", code="empty")
    return rows


def criteria_csv(rows, kind: str) -> str:
    """CSV of (address, profile name) pairs, in the import format (UTF-8, header line)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    include = kind == CriterionKind.INCLUDE
    writer.writerow([ADDRESS_HEADER, PROFILE_HEADER] if include else [ADDRESS_HEADER])
    for address, profile in rows:
        writer.writerow([address, profile] if include else [address])
    return out.getvalue()


def sample_csv(kind: str) -> str:
    """The "Download sample file" file: one line per accepted format."""
    examples = ["10.20.15.27", "10.20.15.*", "10.20.*.*", "10.20.15.3-10.20.15.34", "myprinter.domain.com"]
    return criteria_csv([(address, "Default") for address in examples], kind)


def single_address(text: str) -> str:
    """One printer's address (IPv4 or host name), as the MIB walk asks for."""
    address = normalize_address(text)
    if _ipv4(address) is None and _hostname(address) is None:
        raise ValidationError("Type the address of one printer (an IP address or a host name).",
                              code="single")
    return address
