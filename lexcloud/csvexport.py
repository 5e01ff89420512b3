"""CSV downloads: UTF-8 with a byte order mark (so spreadsheet programs read accented text right), streamed
in blocks of rows (a large export never sits whole in memory), and cells that a spreadsheet would run as a
formula made inert (OWASP "CSV injection": a leading = + - @ tab or carriage return gets a quote)."""
import csv

from django.http import StreamingHttpResponse

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_BLOCK = 500


def safe_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)   # numbers, negative ones included, stay numbers
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Line:
    """csv.writer target that hands back what it is given (csv.writer returns the write() result)."""

    def write(self, value):
        return value


def csv_lines(header, rows):
    """The CSV text in blocks: the BOM and header first, then ROWS_PER_BLOCK rows at a time."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow([safe_cell(cell) for cell in header])
    block = []
    for row in rows:
        block.append(writer.writerow([safe_cell(cell) for cell in row]))
        if len(block) >= ROWS_PER_BLOCK:
            yield "".join(block)
            block = []
    if block:
        yield "".join(block)


def stream_csv(filename: str, header, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
