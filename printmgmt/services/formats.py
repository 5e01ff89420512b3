"""Which of the guide's 17 formats a document is, from its content, not only its name (ASVS V5.2): the name
says what the sender claims, the first bytes (and, for Office containers, the parts inside) say what it is.
A file whose content contradicts its extension is refused with a message saying both."""
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from django.core.exceptions import ValidationError

from ..choices import DocumentFormat as F

EXTENSIONS: dict[str, str] = {
    ".csv": F.CSV, ".doc": F.DOC, ".docx": F.DOCX, ".gif": F.GIF, ".html": F.HTML, ".htm": F.HTML,
    ".jpg": F.JPG, ".jpeg": F.JPG, ".jpe": F.JPG, ".odp": F.ODP, ".ods": F.ODS, ".odt": F.ODT, ".pdf": F.PDF,
    ".ppt": F.PPT, ".pptx": F.PPTX, ".rtf": F.RTF, ".tif": F.TIFF, ".tiff": F.TIFF, ".txt": F.TXT,
    ".xls": F.XLS, ".xlsx": F.XLSX,
}
TEXT_FORMATS = frozenset({F.TXT, F.CSV, F.HTML})
SUPPORTED_LIST = ", ".join(label for _value, label in F.choices)
HEAD_BYTES = 64 * 1024
CHUNK = 1024 * 1024

_DESCRIPTIONS = {F.PDF: "a PDF document", F.JPG: "a JPG image", F.GIF: "a GIF image", F.TIFF: "a TIFF image",
                 F.DOC: "a Word 97-2003 document", F.XLS: "an Excel 97-2003 workbook",
                 F.PPT: "a PowerPoint 97-2003 presentation", F.DOCX: "a Word document (DOCX)",
                 F.XLSX: "an Excel workbook (XLSX)", F.PPTX: "a PowerPoint presentation (PPTX)",
                 F.ODT: "an OpenDocument text (ODT)", F.ODS: "an OpenDocument spreadsheet (ODS)",
                 F.ODP: "an OpenDocument presentation (ODP)", F.RTF: "an RTF document", F.HTML: "an HTML page",
                 F.TXT: "plain text", F.CSV: "plain text"}
_OTHER_MAGIC = [(b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"BM", "a BMP image"), (b"MZ", "a Windows program"),
                (b"\x7fELF", "a Linux program"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
                (b"7z\xbc\xaf", "a 7-Zip archive"), (b"%!PS", "a PostScript file")]
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# OLE2 directory entries are UTF-16LE names; the first one found decides (Word files may embed a "Workbook").
_OLE_STREAMS = [("WordDocument", F.DOC), ("PowerPoint Document", F.PPT), ("Workbook", F.XLS), ("Book", F.XLS)]
_ODF_MIMETYPES = {"application/vnd.oasis.opendocument.text": F.ODT,
                  "application/vnd.oasis.opendocument.spreadsheet": F.ODS,
                  "application/vnd.oasis.opendocument.presentation": F.ODP}
_OOXML_PARTS = [("word/document.xml", F.DOCX), ("xl/workbook.xml", F.XLSX), ("ppt/presentation.xml", F.PPTX)]


@dataclass(frozen=True)
class Sniffed:
    """What the content is: one of the 17 formats (`text` for TXT/CSV/HTML alike), or a description."""

    format: str | None
    text: bool = False
    html: bool = False
    description: str = ""


def unsupported_message(name: str) -> str:
    return f"“{name}” is not a supported file format. Supported formats: {SUPPORTED_LIST}."


def detect_format(file: BinaryIO, name: str) -> str:
    """The DocumentFormat of `file` (seekable, read from the start), or ValidationError with a message for
    the sender. Without an extension (an e-mail body, an IPP job) the content alone decides."""
    extension = PurePosixPath(name or "").suffix.lower()
    claimed = EXTENSIONS.get(extension)
    if extension and claimed is None:
        raise ValidationError(unsupported_message(name), code="unsupported")
    content = sniff(file)
    if content.text:
        if claimed in TEXT_FORMATS:
            return claimed
        if claimed is None:
            return F.HTML if content.html else F.TXT
    elif content.format is not None:
        if claimed is None or claimed == content.format:
            return content.format
        if claimed == F.DOC and content.format == F.RTF:   # Word saves RTF under .doc; it prints the same
            return F.RTF
    what = _DESCRIPTIONS.get(content.format, "") or content.description
    if claimed is None:
        raise ValidationError(f"The content of “{name or 'the document'}” is {what or 'not recognized'}: "
                              f"it is not a supported file format. Supported formats: {SUPPORTED_LIST}.",
                              code="unsupported")
    expected = _DESCRIPTIONS[claimed]
    raise ValidationError(f"“{name}” is not {expected}: its content is {what or 'of an unknown kind'}.",
                          code="mismatch")


def sniff(file: BinaryIO) -> Sniffed:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if head.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return Sniffed(F.PDF)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(F.JPG)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(F.GIF)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed(F.TIFF)
    if head.startswith(b"{\\rtf"):
        return Sniffed(F.RTF)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(file)
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(file)
    for magic, description in _OTHER_MAGIC:
        if head.startswith(magic):
            return Sniffed(None, description=description)
    text = _as_text(head)
    if text is not None:
        lowered = text.lstrip()[:2048].lower()
        html = lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered or "<body" in lowered
        return Sniffed(None, text=True, html=html, description="plain text")
    return Sniffed(None, description="binary data")


def _as_text(head: bytes) -> str | None:
    """Text when it decodes (UTF-8, UTF-16 with a BOM, else Latin-1 with few control characters)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:            # a character cut at the end of the sample
            return head[:error.start].decode("utf-8")
    text = head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return text if controls <= len(text) // 100 else None


def _sniff_ole(file: BinaryIO) -> Sniffed:
    """Legacy Office files are OLE2 compound files; which application by the stream names in its directory."""
    names = [(name.encode("utf-16-le"), fmt) for name, fmt in _OLE_STREAMS]
    overlap = max(len(n) for n, _f in names)
    tail = b""
    found: dict[str, int] = {}
    file.seek(0)
    while chunk := file.read(CHUNK):
        block = tail + chunk
        for encoded, fmt in names:
            if fmt not in found and encoded in block:
                found[fmt] = 1
        tail = block[-overlap:]
    file.seek(0)
    for _name, fmt in _OLE_STREAMS:
        if fmt in found:
            return Sniffed(fmt)
    return Sniffed(None, description="an Office 97-2003 file of an unknown kind")


def _sniff_zip(file: BinaryIO) -> Sniffed:
    """DOCX/XLSX/PPTX and ODT/ODS/ODP are ZIP packages; only the directory (and ODF's tiny `mimetype`) is read."""
    try:
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
            if "mimetype" in names and package.getinfo("mimetype").file_size < 200:
                mimetype = package.read("mimetype").decode("ascii", errors="ignore").strip()
                if mimetype in _ODF_MIMETYPES:
                    return Sniffed(_ODF_MIMETYPES[mimetype])
            if "[Content_Types].xml" in names:
                for part, fmt in _OOXML_PARTS:
                    if part in names:
                        return Sniffed(fmt)
    except (zipfile.BadZipFile, OSError, KeyError):
        return Sniffed(None, description="a damaged ZIP archive")
    finally:
        file.seek(0)
    return Sniffed(None, description="a ZIP archive")
