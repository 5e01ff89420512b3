"""Which format a document is: by its content, with its extension only choosing among text formats."""
import io

import pytest
from django.core.exceptions import ValidationError

from printmgmt.choices import DocumentFormat as F
from printmgmt.services.formats import detect_format

from .documents import docx_bytes, image_bytes, odt_bytes, pdf_bytes, text_bytes


def detect(name, content):
    return detect_format(io.BytesIO(content), name)


@pytest.mark.parametrize("name,content,expected", [
    ("report.pdf", pdf_bytes(), F.PDF),
    ("photo.JPG", image_bytes("JPEG"), F.JPG),
    ("photo.jpeg", image_bytes("JPEG"), F.JPG),
    ("anim.gif", image_bytes("GIF"), F.GIF),
    ("scan.tif", image_bytes("TIFF"), F.TIFF),
    ("letter.docx", docx_bytes(), F.DOCX),
    ("letter.odt", odt_bytes(), F.ODT),
    ("notes.txt", text_bytes(), F.TXT),
    ("table.csv", b"a,b,c\n1,2,3\n", F.CSV),
    ("page.html", b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", F.HTML),
    ("memo.rtf", b"{\\rtf1\\ansi Hello}", F.RTF),
    ("memo.doc", b"{\\rtf1\\ansi Word saved RTF as .doc}", F.RTF),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le"), F.DOC),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le"), F.XLS),
    ("old.ppt", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "PowerPoint Document".encode("utf-16-le"),
     F.PPT),
    ("", pdf_bytes(), F.PDF),                                       # no name (an IPP job): the content decides
    ("", b"<html><body>mail body</body></html>", F.HTML),
    ("latin1.txt", "Café crème\n".encode("latin-1"), F.TXT),
])
def test_formats_are_recognized_by_content(name, content, expected):
    assert detect(name, content) == expected


def test_a_png_renamed_to_jpg_is_refused_saying_what_it_is():
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    with pytest.raises(ValidationError) as error:
        detect("holiday.jpg", png.getvalue())
    assert error.value.messages == ["“holiday.jpg” is not a JPG image: its content is a PNG image."]


def test_a_program_named_pdf_is_refused():
    with pytest.raises(ValidationError) as error:
        detect("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert "is not a PDF document: its content is a Windows program" in error.value.messages[0]


def test_a_docx_that_is_really_a_pdf_is_refused():
    with pytest.raises(ValidationError, match="is not a Word document"):
        detect("contract.docx", pdf_bytes())


def test_binary_data_named_txt_is_refused():
    with pytest.raises(ValidationError, match="is not plain text"):
        detect("notes.txt", bytes(range(256)) * 4)


def test_an_unsupported_extension_lists_the_supported_formats():
    with pytest.raises(ValidationError) as error:
        detect("archive.zip", b"PK\x03\x04")
    message = error.value.messages[0]
    assert message.startswith("“archive.zip” is not a supported file format.")
    assert "CSV, DOC, DOCX, GIF, HTML, JPG, ODP, ODS, ODT, PDF, PPT, PPTX, RTF, TIFF, TXT, XLS, XLSX" in message


def test_a_plain_zip_named_docx_is_refused():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError, match="its content is a ZIP archive"):
        detect("letter.docx", out.getvalue())
