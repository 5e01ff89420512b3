"""The IPP print service's translations: job template attributes to print settings, document-format and job
names to the file name the format check sees, and the chunked request bodies CUPS sends."""
import io

import pytest

from agents.ipp import IppAttribute, IppError, Tag
from printmgmt.ipp.attributes import DOCUMENT_FORMATS, document_name, template_settings
from printmgmt.ipp.body import ChunkedReader


def attrs(*items):
    return {name: IppAttribute(name, tag, value if isinstance(value, list) else [value]) for tag, name, value in items}


def test_template_attributes_become_print_settings():
    values, unsupported = template_settings(attrs(
        (Tag.INTEGER, "copies", 3), (Tag.KEYWORD, "sides", "two-sided-short-edge"),
        (Tag.KEYWORD, "print-color-mode", "auto-monochrome"), (Tag.ENUM, "orientation-requested", 6),
        (Tag.INTEGER, "number-up", 16), (Tag.KEYWORD, "multiple-document-handling", "separate-documents-uncollated-copies"),
        (Tag.BEGIN_COLLECTION, "media-col", {"media-size": (Tag.BEGIN_COLLECTION, {
            "x-dimension": (Tag.INTEGER, 21000), "y-dimension": (Tag.INTEGER, 29700)})}),
        (Tag.ENUM, "print-quality", 5), (Tag.KEYWORD, "job-hold-until", "no-hold")))
    assert values == {"copies": 3, "two_sided": "short_edge", "color_mode": "mono", "orientation": "portrait",
                      "pages_per_side": 16, "collate": False, "paper_size": "a4"}
    assert unsupported == []


@pytest.mark.parametrize("tag,name,value", [
    (Tag.INTEGER, "copies", 0), (Tag.INTEGER, "copies", 1000), (Tag.BOOLEAN, "copies", True),
    (Tag.INTEGER, "copies", [1, 2]), (Tag.KEYWORD, "sides", "two-sided"), (Tag.INTEGER, "number-up", 3),
    (Tag.KEYWORD, "media", "na_foolscap_8.5x13in"), (Tag.ENUM, "orientation-requested", 7),
    (Tag.BEGIN_COLLECTION, "media-col", {"media-size-name": (Tag.KEYWORD, "oe_photo-l_3.5x5in")}),
    (Tag.KEYWORD, "print-the-moon", "yes"),
])
def test_values_not_supported_are_reported(tag, name, value):
    values, unsupported = template_settings(attrs((tag, name, value)))
    assert values == {} and [n for _t, n, _v in unsupported] == [name]


@pytest.mark.parametrize("given,fmt,expected", [
    ("report.pdf", "application/pdf", "report.pdf"),
    ("Report", "application/pdf", "Report.pdf"),
    ("report.docx", "application/pdf", "report.pdf"),        # CUPS converted it before sending
    ("photo.JPEG", "image/jpeg", "photo.JPEG"),
    ("Microsoft Word - Minutes.v2", "application/octet-stream", "Microsoft Word - Minutes_v2"),
    ("minutes.docx", "application/octet-stream", "minutes.docx"),
    ("C:\\Users\\pam\\notes.txt", "text/plain", "notes.txt"),
    ("", "application/octet-stream", "document"),
])
def test_document_names(given, fmt, expected):
    assert document_name(given, fmt) == expected


def test_the_17_formats_are_offered():
    assert len(DOCUMENT_FORMATS) == 18 and DOCUMENT_FORMATS[0] == "application/octet-stream"


def test_chunked_bodies_are_decoded():
    raw = io.BytesIO(b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT")
    reader = ChunkedReader(raw.read, raw.readline)
    assert reader.read(3) == b"hel" and reader.read() == b"lo world" and reader.done
    assert raw.read() == b"NEXT"      # the next request on the connection is untouched
    with pytest.raises(IppError, match="malformed"):
        bad = io.BytesIO(b"zz\r\n")
        ChunkedReader(bad.read, bad.readline).read()
    with pytest.raises(IppError, match="inside a chunk"):
        short = io.BytesIO(b"10\r\nabc")
        ChunkedReader(short.read, short.readline).read()
