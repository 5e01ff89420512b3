"""Test documents made in the test (no binary fixtures): PDFs and images drawn with Pillow, text, and the
smallest valid DOCX / ODT packages written by hand. LibreOffice tests skip without it, naming the packages."""
import io
import os
import shutil
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

SOFFICE_PACKAGES = "libreoffice-writer, libreoffice-calc and libreoffice-impress"


def needs_soffice():
    """Skip (fail in CI, LEXCLOUD_REQUIRE_SERVICES) when LibreOffice is missing."""
    if shutil.which("soffice"):
        return
    message = f"needs LibreOffice: apt-get install {SOFFICE_PACKAGES.replace(' and ', ' ').replace(',', '')}"
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def _page(color: bool, text: str) -> Image.Image:
    page = Image.new("RGB" if color else "L", (425, 550), "white")   # Letter at 50 dpi
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), text, fill="black")
    draw.rectangle((40, 80, 200, 120), fill=(200, 30, 30) if color else 90)
    return page


def pdf_bytes(pages: int = 1, *, color: bool = False) -> bytes:
    images = [_page(color and i == pages - 1, f"Page {i + 1}") for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=50)
    return out.getvalue()


def image_bytes(kind: str = "JPEG", *, color: bool = True) -> bytes:
    out = io.BytesIO()
    image = _page(color, "An image")
    if kind == "GIF":
        image = image.convert("P")
    image.save(out, kind)
    return out.getvalue()


def text_bytes(lines: int = 10) -> bytes:
    return "".join(f"Line {i} of a plain text document\n" for i in range(lines)).encode()


def docx_bytes(pages: int = 2) -> bytes:
    """A Word document with `pages` pages (explicit page breaks)."""
    page_break = '<w:br w:type="page"/>'
    body = "".join(f"<w:p><w:r>{page_break if i else ''}<w:t>Page {i + 1}</w:t></w:r></w:p>" for i in range(pages))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>')
    return out.getvalue()


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", "<manifest/>")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
