"""A small IPP/1.1-2.0 codec and client (RFC 8010 encoding, RFC 8011 model), pure Python, no Django.

Two sides use it, so both speak the same bytes:
- the server's IPP print service (printmgmt.ipp, /ipp/print) decodes requests and encodes responses;
- the printer simulator's release path prints to an IPP Everywhere printer (`ippeveprinter` in tests) with
  `print_job`.

A message is a version, an operation id (requests) or status code (responses), a request id, attribute
groups and the document data after the end-of-attributes tag. An attribute is written as
`(value_tag, name, value)`: `value` is one value, or a list of values for a 1setOf (all with that tag).
Python values by tag: integer/enum → int, boolean → bool, dateTime → aware datetime, resolution →
(x, y, units), rangeOfInteger → (lower, upper), octetString → bytes, out-of-band tags → None, collection →
dict {member name: (value_tag, value)}, every string-like tag → str (the language of textWithLanguage /
nameWithLanguage is dropped on decode).

The client refuses any host but the loopback: it exists for the simulator and tests, which never send
traffic elsewhere (the real release to customer printers goes through their agents)."""
from __future__ import annotations

import http.client
import io
import ipaddress
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import BinaryIO
from urllib.parse import urlsplit

IPP_VERSION = (2, 0)
CONTENT_TYPE = "application/ipp"
MAX_ATTRIBUTES_BYTES = 1024 * 1024   # the attributes part of a message (the document is not counted)
MAX_COLLECTION_DEPTH = 8


# ---------------------------------------------------------------------------------------------- tags
class Tag:
    """Delimiter tags (attribute groups) and value tags (RFC 8010 §3.5)."""

    OPERATION = 0x01
    JOB = 0x02
    END = 0x03
    PRINTER = 0x04
    UNSUPPORTED_GROUP = 0x05
    SUBSCRIPTION = 0x06
    EVENT_NOTIFICATION = 0x07
    RESOURCE = 0x08
    DOCUMENT = 0x09
    SYSTEM = 0x0A
    # out-of-band values
    UNSUPPORTED = 0x10
    UNKNOWN = 0x12
    NO_VALUE = 0x13
    NOT_SETTABLE = 0x15
    DELETE_ATTRIBUTE = 0x16
    ADMIN_DEFINE = 0x17
    # integers
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    # octet strings
    OCTET_STRING = 0x30
    DATE_TIME = 0x31
    RESOLUTION = 0x32
    RANGE_OF_INTEGER = 0x33
    BEGIN_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    # character strings
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    URI_SCHEME = 0x46
    CHARSET = 0x47
    NATURAL_LANGUAGE = 0x48
    MIME_MEDIA_TYPE = 0x49
    MEMBER_NAME = 0x4A
    EXTENSION = 0x7F


GROUP_TAGS = frozenset(range(0x01, 0x10)) - {Tag.END}
OUT_OF_BAND = frozenset(range(0x10, 0x20))
STRING_TAGS = frozenset({Tag.TEXT, Tag.NAME, Tag.KEYWORD, Tag.URI, Tag.URI_SCHEME, Tag.CHARSET,
                         Tag.NATURAL_LANGUAGE, Tag.MIME_MEDIA_TYPE, Tag.MEMBER_NAME, 0x40, 0x43})


class Op:
    """Operation ids (RFC 8011, PWG 5100.11 / 5100.14)."""

    PRINT_JOB = 0x0002
    PRINT_URI = 0x0003
    VALIDATE_JOB = 0x0004
    CREATE_JOB = 0x0005
    SEND_DOCUMENT = 0x0006
    SEND_URI = 0x0007
    CANCEL_JOB = 0x0008
    GET_JOB_ATTRIBUTES = 0x0009
    GET_JOBS = 0x000A
    GET_PRINTER_ATTRIBUTES = 0x000B
    HOLD_JOB = 0x000C
    RELEASE_JOB = 0x000D
    CANCEL_MY_JOBS = 0x0039
    CLOSE_JOB = 0x003B
    IDENTIFY_PRINTER = 0x003C
    VALIDATE_DOCUMENT = 0x003D


class Status:
    """Status codes (RFC 8011 §4.1.6 and registrations)."""

    OK = 0x0000
    OK_IGNORED_OR_SUBSTITUTED = 0x0001
    BAD_REQUEST = 0x0400
    FORBIDDEN = 0x0401
    NOT_AUTHENTICATED = 0x0402
    NOT_AUTHORIZED = 0x0403
    NOT_POSSIBLE = 0x0404
    TIMEOUT = 0x0405
    NOT_FOUND = 0x0406
    GONE = 0x0407
    REQUEST_ENTITY_TOO_LARGE = 0x0408
    REQUEST_VALUE_TOO_LONG = 0x0409
    DOCUMENT_FORMAT_NOT_SUPPORTED = 0x040A
    ATTRIBUTES_OR_VALUES_NOT_SUPPORTED = 0x040B
    URI_SCHEME_NOT_SUPPORTED = 0x040C
    CHARSET_NOT_SUPPORTED = 0x040D
    CONFLICTING_ATTRIBUTES = 0x040E
    COMPRESSION_NOT_SUPPORTED = 0x040F
    INTERNAL_ERROR = 0x0500
    OPERATION_NOT_SUPPORTED = 0x0501
    SERVICE_UNAVAILABLE = 0x0502
    VERSION_NOT_SUPPORTED = 0x0503
    BUSY = 0x0507
    NOT_ACCEPTING_JOBS = 0x0506


class JobStateValue:
    PENDING = 3
    PENDING_HELD = 4
    PROCESSING = 5
    PROCESSING_STOPPED = 6
    CANCELED = 7
    ABORTED = 8
    COMPLETED = 9


class IppError(Exception):
    """A malformed message, a refused host, a transport failure or an IPP error status (`status` set)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------------------------------------- model
@dataclass
class IppAttribute:
    name: str
    tag: int                    # the tag of the first value
    values: list = field(default_factory=list)

    @property
    def value(self):
        return self.values[0] if self.values else None


@dataclass
class IppGroup:
    tag: int
    attributes: list[IppAttribute] = field(default_factory=list)

    def get(self, name: str) -> IppAttribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass
class IppMessage:
    version: tuple[int, int]
    code: int                   # operation id (request) or status code (response)
    request_id: int
    groups: list[IppGroup] = field(default_factory=list)
    data: bytes = b""

    def group(self, tag: int) -> IppGroup | None:
        return next((g for g in self.groups if g.tag == tag), None)

    def groups_of(self, tag: int) -> list[IppGroup]:
        return [g for g in self.groups if g.tag == tag]

    def attribute(self, name: str, group: int | None = None) -> IppAttribute | None:
        for g in self.groups:
            if group is None or g.tag == group:
                found = g.get(name)
                if found is not None:
                    return found
        return None

    def get(self, name: str, group: int | None = None, default=None):
        """The first value of `name` (in `group`, or any group), else `default`."""
        found = self.attribute(name, group)
        return found.value if found is not None and found.values else default

    def values(self, name: str, group: int | None = None) -> list:
        found = self.attribute(name, group)
        return list(found.values) if found is not None else []

    @property
    def status_message(self) -> str:
        return self.get("status-message", Tag.OPERATION, "") or ""


# ---------------------------------------------------------------------------------------------- encoding
def _encode_value(tag: int, value) -> bytes:
    if tag in OUT_OF_BAND:
        return b""
    if tag in (Tag.INTEGER, Tag.ENUM):
        return struct.pack(">i", int(value))
    if tag == Tag.BOOLEAN:
        return b"\x01" if value else b"\x00"
    if tag == Tag.DATE_TIME:
        return _encode_datetime(value)
    if tag == Tag.RESOLUTION:
        x, y, units = value
        return struct.pack(">iib", int(x), int(y), int(units))
    if tag == Tag.RANGE_OF_INTEGER:
        lower, upper = value
        return struct.pack(">ii", int(lower), int(upper))
    if tag in (Tag.TEXT_WITH_LANGUAGE, Tag.NAME_WITH_LANGUAGE):
        language, text = value if isinstance(value, tuple) else ("en", value)
        lang, txt = language.encode("ascii"), str(text).encode("utf-8")
        return struct.pack(">H", len(lang)) + lang + struct.pack(">H", len(txt)) + txt
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _encode_datetime(value: datetime) -> bytes:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = b"+" if minutes >= 0 else b"-"
    minutes = abs(minutes)
    return (struct.pack(">HBBBBBB", value.year, value.month, value.day, value.hour, value.minute, value.second,
                        value.microsecond // 100000) + sign + bytes([minutes // 60, minutes % 60]))


def _encode_one(tag: int, name: str, value) -> bytes:
    """One value: the name only on the first value of an attribute (`name` empty for additional values)."""
    raw_name = name.encode("ascii")
    if tag == Tag.BEGIN_COLLECTION:
        out = bytearray(struct.pack(">BH", tag, len(raw_name)) + raw_name + b"\x00\x00")
        for member, (member_tag, member_value) in (value or {}).items():
            member_name = member.encode("ascii")
            out += struct.pack(">BHH", Tag.MEMBER_NAME, 0, len(member_name)) + member_name
            for item in (member_value if isinstance(member_value, list) else [member_value]):
                out += _encode_one(member_tag, "", item)
        out += struct.pack(">BHH", Tag.END_COLLECTION, 0, 0)
        return bytes(out)
    raw = _encode_value(tag, value)
    if len(raw) > 0xFFFF:
        raise IppError(f"the value of {name or 'an attribute'} is too long for IPP")
    return struct.pack(">BH", tag, len(raw_name)) + raw_name + struct.pack(">H", len(raw)) + raw


def encode_attribute(tag: int, name: str, value) -> bytes:
    values = value if isinstance(value, list) else [value]
    if not values:
        values = [None]
        tag = Tag.NO_VALUE
    return b"".join(_encode_one(tag, name if i == 0 else "", v) for i, v in enumerate(values))


def _encode(version: tuple[int, int], code: int, request_id: int, groups, data: bytes) -> bytes:
    out = bytearray(struct.pack(">BBHi", version[0], version[1], code, request_id))
    for group_tag, attributes in groups:
        out.append(group_tag)
        for tag, name, value in attributes:
            out += encode_attribute(tag, name, value)
    out.append(Tag.END)
    return bytes(out) + data


def operation_attributes(*, charset: str = "utf-8", language: str = "en") -> list[tuple[int, str, object]]:
    """The two attributes that open every operation group (RFC 8011 §4.1.4)."""
    return [(Tag.CHARSET, "attributes-charset", charset), (Tag.NATURAL_LANGUAGE, "attributes-natural-language",
                                                          language)]


def encode_request(operation: int, request_id: int, groups: list[tuple[int, list[tuple[int, str, object]]]],
                   data: bytes = b"", *, version: tuple[int, int] = IPP_VERSION) -> bytes:
    return _encode(version, operation, request_id, groups, data)


def encode_response(status: int, request_id: int, groups: list[tuple[int, list[tuple[int, str, object]]]],
                    data: bytes = b"", *, version: tuple[int, int] = IPP_VERSION) -> bytes:
    return _encode(version, status, request_id, groups, data)


# ---------------------------------------------------------------------------------------------- decoding
class _Reader:
    """Reads exactly what is asked from a stream, counting bytes against the attributes limit."""

    def __init__(self, stream: BinaryIO, limit: int):
        self.stream, self.limit, self.used = stream, limit, 0

    def read(self, size: int) -> bytes:
        self.used += size
        if self.used > self.limit:
            raise IppError("the IPP attributes are too long", Status.REQUEST_ENTITY_TOO_LARGE)
        chunks, remaining = [], size
        while remaining:
            chunk = self.stream.read(remaining)
            if not chunk:
                raise IppError("the IPP message ends before its end-of-attributes tag", Status.BAD_REQUEST)
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def byte(self) -> int:
        return self.read(1)[0]

    def short(self) -> int:
        return struct.unpack(">H", self.read(2))[0]


def _decode_value(tag: int, raw: bytes):
    try:
        if tag in OUT_OF_BAND:
            return None
        if tag in (Tag.INTEGER, Tag.ENUM):
            return struct.unpack(">i", raw)[0]
        if tag == Tag.BOOLEAN:
            if len(raw) != 1:
                raise IppError("a boolean value is one byte", Status.BAD_REQUEST)
            return raw != b"\x00"
        if tag == Tag.DATE_TIME:
            year, month, day, hour, minute, second, decis, sign, off_h, off_m = struct.unpack(">HBBBBBBcBB", raw)
            offset = timedelta(hours=off_h, minutes=off_m) * (-1 if sign == b"-" else 1)
            return datetime(year, month, day, hour, minute, second, decis * 100000, tzinfo=timezone(offset))
        if tag == Tag.RESOLUTION:
            return struct.unpack(">iib", raw)
        if tag == Tag.RANGE_OF_INTEGER:
            return struct.unpack(">ii", raw)
        if tag in (Tag.TEXT_WITH_LANGUAGE, Tag.NAME_WITH_LANGUAGE):
            size = struct.unpack(">H", raw[:2])[0]
            text_size = struct.unpack(">H", raw[2 + size:4 + size])[0]
            return raw[4 + size:4 + size + text_size].decode("utf-8", errors="replace")
        if tag == Tag.OCTET_STRING:
            return raw
        if tag in STRING_TAGS or 0x40 <= tag <= 0x5F:
            return raw.decode("utf-8", errors="replace")
    except (struct.error, ValueError) as error:
        raise IppError(f"a malformed value (tag 0x{tag:02x})", Status.BAD_REQUEST) from error
    return raw


def _read_collection(reader: _Reader, depth: int) -> dict:
    if depth > MAX_COLLECTION_DEPTH:
        raise IppError("collections nest too deep", Status.BAD_REQUEST)
    members: dict = {}
    current = None
    while True:
        tag = reader.byte()
        if tag == Tag.EXTENSION:
            tag = struct.unpack(">I", reader.read(4))[0]
        reader.read(reader.short())              # member values carry no name
        size = reader.short()
        if tag == Tag.END_COLLECTION:
            reader.read(size)
            return members
        if tag == Tag.MEMBER_NAME:
            current = reader.read(size).decode("utf-8", errors="replace")
            continue
        if current is None:
            raise IppError("a collection value without a member name", Status.BAD_REQUEST)
        if tag == Tag.BEGIN_COLLECTION:
            reader.read(size)
            value = _read_collection(reader, depth + 1)
        else:
            value = _decode_value(tag, reader.read(size))
        if current in members:
            member_tag, existing = members[current]
            members[current] = (member_tag, (existing if isinstance(existing, list) else [existing]) + [value])
        else:
            members[current] = (tag, value)


def read_message(stream: BinaryIO, *, limit: int = MAX_ATTRIBUTES_BYTES) -> IppMessage:
    """Read the header and attribute groups from `stream`, leaving it at the first byte of the document (the
    server streams the document from there; `data` stays empty)."""
    reader = _Reader(stream, limit)
    major, minor = reader.byte(), reader.byte()
    code = reader.short()
    request_id = struct.unpack(">i", reader.read(4))[0]
    message = IppMessage((major, minor), code, request_id)
    group: IppGroup | None = None
    attribute: IppAttribute | None = None
    while True:
        tag = reader.byte()
        if tag == Tag.END:
            return message
        if tag in GROUP_TAGS:
            group = IppGroup(tag)
            message.groups.append(group)
            attribute = None
            continue
        if tag == Tag.EXTENSION:
            tag = struct.unpack(">I", reader.read(4))[0]
        if group is None:
            raise IppError("an attribute before any attribute group", Status.BAD_REQUEST)
        name = reader.read(reader.short()).decode("utf-8", errors="replace")
        size = reader.short()
        if tag == Tag.BEGIN_COLLECTION:
            reader.read(size)
            value = _read_collection(reader, 1)
        else:
            value = _decode_value(tag, reader.read(size))
        if name:
            attribute = IppAttribute(name, tag, [value])
            group.attributes.append(attribute)
        elif attribute is None:
            raise IppError("an additional value without an attribute", Status.BAD_REQUEST)
        else:
            attribute.values.append(value)


def decode_message(raw: bytes) -> IppMessage:
    stream = io.BytesIO(raw)
    message = read_message(stream)
    message.data = stream.read()
    return message


# ---------------------------------------------------------------------------------------------- client
def _loopback_url(printer_uri: str) -> tuple[str, int, str]:
    """host, port and path of an ipp:// or http:// URI on the loopback; anything else is refused."""
    parts = urlsplit(printer_uri)
    if parts.scheme not in ("ipp", "http"):
        raise IppError(f"only ipp:// and http:// printer URIs are supported, not “{printer_uri}”")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise IppError(f"refusing to send IPP to {host or 'an empty host'}: only 127.0.0.0/8, ::1 and localhost "
                       "are allowed")
    port = parts.port or 631
    return host, port, parts.path or "/"


_request_ids = iter(range(1, 2**31))


def send(printer_uri: str, operation: int, groups, data: bytes = b"", *, timeout: float = 30,
         headers: dict | None = None) -> IppMessage:
    """POST one request to a loopback printer and decode the answer; IppError on HTTP or IPP failure."""
    host, port, path = _loopback_url(printer_uri)
    body = encode_request(operation, next(_request_ids), groups, data)
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": CONTENT_TYPE, **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
    except OSError as error:
        raise IppError(f"cannot reach the printer at {printer_uri}: {error}") from error
    finally:
        connection.close()
    if response.status != 200:
        raise IppError(f"the printer answered HTTP {response.status} {response.reason}")
    message = decode_message(payload)
    if message.code >= 0x0100:
        raise IppError(f"the printer refused the request: 0x{message.code:04x} {message.status_message}".strip(),
                       message.code)
    return message


def _template(attributes: dict | None) -> list[tuple[int, str, object]]:
    """Job template attributes from a plain dict: int → integer, bool → boolean, str → keyword; a
    (tag, value) tuple is passed as given."""
    out = []
    for name, value in (attributes or {}).items():
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], int):
            out.append((value[0], name, value[1]))
        elif isinstance(value, bool):
            out.append((Tag.BOOLEAN, name, value))
        elif isinstance(value, int):
            out.append((Tag.INTEGER, name, value))
        else:
            out.append((Tag.KEYWORD, name, value))
    return out


def print_job(printer_uri: str, document: bytes, *, job_name: str, user: str = "lexcloud",
              document_format: str = "application/pdf", attributes: dict | None = None, timeout: float = 30) -> int:
    """Print-Job `document` on the printer at `printer_uri` (loopback only); returns the printer's job-id."""
    operation = [*operation_attributes(), (Tag.URI, "printer-uri", printer_uri),
                 (Tag.NAME, "requesting-user-name", user), (Tag.NAME, "job-name", job_name),
                 (Tag.MIME_MEDIA_TYPE, "document-format", document_format)]
    groups = [(Tag.OPERATION, operation)]
    template = _template(attributes)
    if template:
        groups.append((Tag.JOB, template))
    answer = send(printer_uri, Op.PRINT_JOB, groups, document, timeout=timeout)
    job_id = answer.get("job-id", Tag.JOB)
    if not isinstance(job_id, int):
        raise IppError("the printer accepted the job without a job-id")
    return job_id


def get_printer_attributes(printer_uri: str, requested: list[str] | None = None, *, timeout: float = 30) -> dict:
    """The printer's attributes as {name: value, or list for several values}."""
    operation = [*operation_attributes(), (Tag.URI, "printer-uri", printer_uri)]
    if requested:
        operation.append((Tag.KEYWORD, "requested-attributes", list(requested)))
    answer = send(printer_uri, Op.GET_PRINTER_ATTRIBUTES, [(Tag.OPERATION, operation)], timeout=timeout)
    return {a.name: (a.values[0] if len(a.values) == 1 else list(a.values))
            for g in answer.groups_of(Tag.PRINTER) for a in g.attributes}
