"""agents.ipp: the IPP codec (RFC 8010 encoding) round trips every value type, reads the bytes other
implementations write, refuses malformed messages and non-loopback printers; its client prints to a real IPP
Everywhere printer (CUPS' ippeveprinter, Debian cups-ipp-utils) and the printer keeps the file."""
import io
import struct
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from agents import ipp
from agents.ipp import IppError, Op, Status, Tag

from .ipp_printer import ipp_everywhere_printer


def _roundtrip(attributes, group=Tag.JOB):
    raw = ipp.encode_request(Op.PRINT_JOB, 7, [(Tag.OPERATION, ipp.operation_attributes()), (group, attributes)],
                             b"%PDF-data")
    return ipp.decode_message(raw)


def test_every_value_type_round_trips():
    when = datetime(2026, 3, 4, 5, 6, 7, 800000, tzinfo=timezone(timedelta(hours=-5, minutes=-30)))
    message = _roundtrip([
        (Tag.INTEGER, "copies", 3),
        (Tag.BOOLEAN, "ipp-attribute-fidelity", True),
        (Tag.ENUM, "orientation-requested", 4),
        (Tag.KEYWORD, "sides", "two-sided-long-edge"),
        (Tag.URI, "printer-uri", "ipp://127.0.0.1/ipp/print"),
        (Tag.TEXT, "job-state-message", "Prêt à imprimer"),
        (Tag.NAME, "job-name", "Résumé.pdf"),
        (Tag.MIME_MEDIA_TYPE, "document-format", "application/pdf"),
        (Tag.CHARSET, "charset-supported", ["utf-8", "us-ascii"]),
        (Tag.NATURAL_LANGUAGE, "natural-language-configured", "en"),
        (Tag.DATE_TIME, "printer-current-time", when),
        (Tag.RESOLUTION, "printer-resolution-default", (600, 1200, 3)),
        (Tag.RANGE_OF_INTEGER, "copies-supported", (1, 999)),
        (Tag.OCTET_STRING, "job-password", b"\x001234"),
        (Tag.TEXT_WITH_LANGUAGE, "printer-info", ("fr", "Bureau")),
        (Tag.NO_VALUE, "time-at-completed", None),
        (Tag.INTEGER, "number-up-supported", [1, 2, 4]),
        (Tag.BEGIN_COLLECTION, "media-col", {
            "media-size": (Tag.BEGIN_COLLECTION, {"x-dimension": (Tag.INTEGER, 21000),
                                                  "y-dimension": (Tag.INTEGER, 29700)}),
            "media-source": (Tag.KEYWORD, ["main", "manual"]),
        }),
    ])
    assert (message.version, message.code, message.request_id, message.data) == ((2, 0), Op.PRINT_JOB, 7,
                                                                                 b"%PDF-data")
    job = message.group(Tag.JOB)
    values = {a.name: (a.values if len(a.values) > 1 else a.value) for a in job.attributes}
    assert values["copies"] == 3 and values["ipp-attribute-fidelity"] is True
    assert values["orientation-requested"] == 4
    assert values["job-state-message"] == "Prêt à imprimer" and values["job-name"] == "Résumé.pdf"
    assert values["charset-supported"] == ["utf-8", "us-ascii"]
    assert values["printer-current-time"] == when
    assert values["printer-resolution-default"] == (600, 1200, 3)
    assert values["copies-supported"] == (1, 999)
    assert values["job-password"] == b"\x001234"
    assert values["printer-info"] == "Bureau"
    assert values["time-at-completed"] is None
    assert values["number-up-supported"] == [1, 2, 4]
    assert values["media-col"] == {"media-size": (Tag.BEGIN_COLLECTION, {"x-dimension": (Tag.INTEGER, 21000),
                                                                         "y-dimension": (Tag.INTEGER, 29700)}),
                                   "media-source": (Tag.KEYWORD, ["main", "manual"])}
    assert message.get("attributes-charset") == "utf-8"
    assert message.get("copies", Tag.OPERATION) is None and message.get("copies", Tag.JOB) == 3


def test_the_bytes_of_rfc_8010_appendix_a():
    """Get-Jobs as RFC 8010 §A.7 writes it, byte by byte (limit 50, requested-attributes job-id,job-name)."""
    def attr(tag, name, value):
        return struct.pack(">BH", tag, len(name)) + name + struct.pack(">H", len(value)) + value

    raw = (b"\x01\x01" + b"\x00\x0a" + struct.pack(">i", 123) + b"\x01"
           + attr(0x47, b"attributes-charset", b"utf-8") + attr(0x48, b"attributes-natural-language", b"en-us")
           + attr(0x45, b"printer-uri", b"ipp://printer.example.com/ipp/print/pinetree")
           + attr(0x21, b"limit", struct.pack(">i", 50))
           + attr(0x44, b"requested-attributes", b"job-id") + attr(0x44, b"", b"job-name") + b"\x03")
    message = ipp.decode_message(raw)
    assert (message.version, message.code, message.request_id) == ((1, 1), Op.GET_JOBS, 123)
    assert message.values("requested-attributes") == ["job-id", "job-name"]
    assert message.get("limit") == 50
    assert ipp.encode_request(Op.GET_JOBS, 123, [(Tag.OPERATION, [
        (Tag.CHARSET, "attributes-charset", "utf-8"), (Tag.NATURAL_LANGUAGE, "attributes-natural-language", "en-us"),
        (Tag.URI, "printer-uri", "ipp://printer.example.com/ipp/print/pinetree"), (Tag.INTEGER, "limit", 50),
        (Tag.KEYWORD, "requested-attributes", ["job-id", "job-name"])])], version=(1, 1)) == raw


def test_read_message_stops_at_the_document():
    raw = ipp.encode_request(Op.PRINT_JOB, 1, [(Tag.OPERATION, ipp.operation_attributes())], b"DOCUMENT")
    stream = io.BytesIO(raw)
    message = ipp.read_message(stream)
    assert message.data == b"" and stream.read() == b"DOCUMENT"


@pytest.mark.parametrize("raw,match", [
    (b"\x02\x00\x00\x02", "ends before"),
    (b"\x02\x00\x00\x02\x00\x00\x00\x01\x21\x00\x01x\x00\x04\x00\x00\x00\x01\x03", "before any attribute group"),
    (b"\x02\x00\x00\x02\x00\x00\x00\x01\x01\x21\x00\x00\x00\x04\x00\x00\x00\x01\x03", "additional value without"),
    (b"\x02\x00\x00\x02\x00\x00\x00\x01\x01\x21\x00\x01x\x00\x02\x00\x01\x03", "malformed value"),
    (b"\x02\x00\x00\x02\x00\x00\x00\x01\x01\x34\x00\x01c\x00\x00\x21\x00\x00\x00\x04\x00\x00\x00\x01\x37\x00\x00"
     b"\x00\x00\x03", "without a member name"),
])
def test_malformed_messages_are_refused(raw, match):
    with pytest.raises(IppError, match=match) as caught:
        ipp.decode_message(raw)
    assert caught.value.status == Status.BAD_REQUEST


def test_attributes_beyond_the_limit_are_refused():
    raw = ipp.encode_request(Op.PRINT_JOB, 1, [(Tag.OPERATION, [(Tag.TEXT, "x", "y" * 60000)] * 3)])
    with pytest.raises(IppError, match="too long") as caught:
        ipp.read_message(io.BytesIO(raw), limit=100_000)
    assert caught.value.status == Status.REQUEST_ENTITY_TOO_LARGE


def test_deeply_nested_collections_are_refused():
    value: dict = {}
    for _ in range(ipp.MAX_COLLECTION_DEPTH + 2):
        value = {"inner": (Tag.BEGIN_COLLECTION, value)}
    raw = ipp.encode_request(Op.PRINT_JOB, 1, [(Tag.OPERATION, [(Tag.BEGIN_COLLECTION, "c", value)])])
    with pytest.raises(IppError, match="too deep"):
        ipp.decode_message(raw)


def test_naive_datetimes_are_utc():
    raw = ipp.encode_response(Status.OK, 1, [(Tag.PRINTER, [(Tag.DATE_TIME, "t", datetime(2026, 1, 2, 3, 4, 5))])])
    assert ipp.decode_message(raw).get("t") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("uri", ["ipp://192.0.2.10/ipp/print",        # RFC 5737 documentation address
                                 "ipp://printer.example.com/ipp/print", "ipps://127.0.0.1/ipp/print",
                                 "ipp://[2001:db8::1]/ipp/print"])    # RFC 3849 documentation address
def test_the_client_refuses_anything_but_the_loopback(uri):
    with pytest.raises(IppError, match="refusing|only ipp"):
        ipp.print_job(uri, b"%PDF-1.4", job_name="x")


# ---------------------------------------------------------------------------------------------- ippeveprinter
@pytest.fixture
def ippeveprinter(tmp_path):
    """A real IPP Everywhere printer on a free loopback port that keeps what it is sent (tests/agents/ipp_printer)."""
    with ipp_everywhere_printer(tmp_path, name="Lexcloud Test") as printer:
        yield printer.uri, printer.spool


def test_print_job_to_ippeveprinter_keeps_the_file(ippeveprinter):
    from tests.printmgmt.documents import pdf_bytes

    uri, spool = ippeveprinter
    attributes = ipp.get_printer_attributes(uri)
    assert attributes["printer-name"] == "Lexcloud Test"
    assert "application/pdf" in attributes["document-format-supported"]
    assert Op.PRINT_JOB in attributes["operations-supported"]
    document = pdf_bytes(2)
    job_id = ipp.print_job(uri, document, job_name="released", user="pam@acme.test",
                           attributes={"copies": 2, "sides": "one-sided", "print-color-mode": "monochrome"})
    assert job_id >= 1
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        kept = [p for p in spool.iterdir() if p.suffix == ".pdf"]
        if kept and kept[0].read_bytes() == document:
            break
        time.sleep(0.1)
    assert [p.name for p in kept] == [f"{job_id}-released.pdf"]
    assert kept[0].read_bytes() == document


def test_the_printer_refusal_is_an_ipp_error(ippeveprinter):
    uri, _spool = ippeveprinter
    with pytest.raises(IppError, match="0x040b|0x040a") as caught:
        ipp.print_job(uri, b"plain", job_name="x", document_format="application/x-unknown")
    assert caught.value.status in (Status.ATTRIBUTES_OR_VALUES_NOT_SUPPORTED, Status.DOCUMENT_FORMAT_NOT_SUPPORTED)
