"""Uploaded CSV/TXT files of the portals' imports: size and encoding checks, then the header and the
numbered lines, with unreadable lines reported by line number instead of stopping the file."""
import csv
import io

from django.conf import settings
from django.core.exceptions import ValidationError

SIZE_MESSAGE = "The size of the CSV file must not exceed 1MB."
ALLOWED_EXTENSIONS = (".csv", ".txt")


def read_upload(uploaded_file) -> tuple[str, bytes]:
    """(name, bytes) of an uploaded CSV or TXT file of at most settings.IMPORT_MAX_BYTES; ValidationError
    otherwise (checked before reading more than the limit)."""
    name = getattr(uploaded_file, "name", "") or "import.csv"
    if not name.lower().endswith(ALLOWED_EXTENSIONS):
        raise ValidationError("Choose a CSV or TXT file.", code="extension")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        raise ValidationError(SIZE_MESSAGE, code="too_large")
    return name, uploaded_file.read(settings.IMPORT_MAX_BYTES + 1)


def decode_file(content: str | bytes) -> str:
    """Size (≤ settings.IMPORT_MAX_BYTES) and encoding (UTF-8, with or without BOM) checks."""
    raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    if len(raw) > settings.IMPORT_MAX_BYTES:
        raise ValidationError(SIZE_MESSAGE, code="too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file must be UTF-8 encoded text (CSV or TXT).", code="encoding") from None


def read_lines(text: str, *, skipinitialspace: bool = False):
    """(header, lines, errors): the header cells (None for an empty file), [(line number, cells)] for every
    non-blank readable line (the header is line 1; quoted values may span lines), and
    [{line, email: "", reason}] for lines the CSV reader cannot read."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), skipinitialspace=skipinitialspace)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ValidationError(f"The header line cannot be read: {exc}", code="header") from None
    lines, errors = [], []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append({"line": start, "email": "", "reason": f"The line cannot be read: {exc}"})
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if any(v.strip() for v in values):
            lines.append((line, values))
    return header, lines, errors
