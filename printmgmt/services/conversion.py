"""Rendering a submitted document to the PDF the printer downloads, and what that PDF is: its page count, whether
any page uses color, its paper size. Choices in docs/decisions/0013-print-conversion.md:
- PDF is kept as it is once pypdf reads it (not encrypted, at least one page);
- JPG/GIF/TIFF through img2pdf (lossless; every frame a page, fitted into Letter or A4 by region);
- TXT, CSV, HTML, RTF and the office formats through LibreOffice headless (`soffice --convert-to pdf`) with a
  private profile per worker process and a time limit; HTML loses scripts and remote references first;
- color by rendering each page small with pypdfium2 and looking for a pixel whose channels differ.
A failure leaves the job failed with a reason the user reads on the Print Queue page."""
import atexit
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from ..choices import DocumentFormat as F
from ..choices import JobState
from ..models import PrintJob
from ..models.jobs import document_path
from .guests import page_limit_exceeded

log = logging.getLogger(__name__)

IMAGE_FORMATS = frozenset({F.JPG, F.GIF, F.TIFF})
COLOR_THRESHOLD = 32      # channel difference (0-255) that is color, not gray anti-aliasing or JPEG noise
COLOR_SCALE = 0.5         # 36 dpi: enough to see color, cheap for long documents
PAPER_SIZES = {"Letter": (612, 792), "Legal": (612, 1008), "Executive": (522, 756), "Tabloid": (792, 1224),
               "A3": (842, 1191), "A4": (595, 842), "A5": (420, 595), "JIS B5": (516, 729)}
# CSV: comma, double quote, UTF-8. HTML in Writer itself: Writer/Web (the default) drops the first paragraph
# and adds a blank page in LibreOffice 7.4.
INPUT_FILTERS = {F.CSV: "CSV:44,34,76", F.HTML: "HTML (StarWriter)"}
_soffice_lock = threading.Lock()   # one LibreOffice run at a time per process (one profile per process)
_pdfium_lock = threading.Lock()    # pdfium is not thread-safe


class ConversionError(Exception):
    """A message for the user: why the document cannot be printed."""


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    color: bool
    paper_size: str


def convert(job: PrintJob) -> PrintJob:
    """Render `job` (in state converting) and hold it, or fail it with the reason. Idempotent: a job in another
    state, or deleted meanwhile, is left alone (and a document rendered for a vanished job is removed)."""
    if job.state != JobState.CONVERTING:
        return job
    with tempfile.TemporaryDirectory(prefix="lexcloud-print-") as work:
        workdir = Path(work)
        try:
            source = _copy_original(job, workdir)
            pdf = render_pdf(source, job.format, workdir, paper="A4" if job.organization.region == "eu" else "Letter")
            info = inspect_pdf(pdf)
            if over_limit := page_limit_exceeded(job, info.pages):   # a guest's document: "not processed at all"
                raise ConversionError(over_limit)
        except ConversionError as error:
            return _fail(job, str(error))
        except Exception:   # a bug or a library's surprise must not leave the job converting forever
            log.exception("conversion of print job %s failed", job.pk)
            return _fail(job, "The document could not be converted.")
        with pdf.open("rb") as handle:
            stored = default_storage.save(document_path(job, "document.pdf"), File(handle))
    now = timezone.now()
    updated = PrintJob.objects.filter(pk=job.pk, state=JobState.CONVERTING).update(
        state=JobState.HELD, document=stored, pages=info.pages, color=info.color,
        document_paper_size=info.paper_size, converted_at=now, failure_reason="")
    if not updated:
        default_storage.delete(stored)
        return job
    job.refresh_from_db()
    return job


def _fail(job: PrintJob, reason: str) -> PrintJob:
    PrintJob.objects.filter(pk=job.pk, state=JobState.CONVERTING).update(
        state=JobState.FAILED, failure_reason=reason[:500], converted_at=timezone.now())
    job.state, job.failure_reason = JobState.FAILED, reason[:500]
    return job


def _copy_original(job: PrintJob, workdir: Path) -> Path:
    target = workdir / f"input.{job.format}"
    try:
        with job.original.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    except (FileNotFoundError, ValueError):
        raise ConversionError("The submitted file is no longer available.") from None
    return target


def render_pdf(source: Path, fmt: str, workdir: Path, *, paper: str = "Letter") -> Path:
    """The PDF to print for `source` of format `fmt`, written under `workdir`."""
    if fmt == F.PDF:
        inspect_pdf(source)   # readable, not encrypted, has pages
        return source
    if fmt in IMAGE_FORMATS:
        return _render_image(source, workdir, paper)
    if fmt == F.HTML:
        source = _sanitized_html(source, workdir)
    return _render_with_soffice(source, fmt, workdir)


def _render_image(source: Path, workdir: Path, paper: str) -> Path:
    import img2pdf
    from PIL import Image, UnidentifiedImageError

    width, height = PAPER_SIZES[paper]
    layout = img2pdf.get_layout_fun((width, height), fit=img2pdf.FitMode.shrink, auto_orient=True)
    target = workdir / "document.pdf"
    try:
        try:
            data = img2pdf.convert(str(source), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
        except (img2pdf.AlphaChannelError, img2pdf.ImageOpenError, ValueError, TypeError):
            data = img2pdf.convert(_flattened(source, workdir), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, img2pdf.ImageOpenError, ValueError) as e:
        raise ConversionError(f"The image could not be read ({_short(e)}).") from None
    target.write_bytes(data)
    return target


def _flattened(source: Path, workdir: Path) -> list[str]:
    """Frames with transparency or palettes that img2pdf refuses: flattened onto white, one PNG per frame."""
    from PIL import Image, ImageSequence

    paths = []
    with Image.open(source) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            rgba = frame.convert("RGBA")
            page = Image.new("RGB", rgba.size, "white")
            page.paste(rgba, mask=rgba.getchannel("A"))
            path = workdir / f"frame-{index}.png"
            page.save(path)
            paths.append(str(path))
    return paths


def _sanitized_html(source: Path, workdir: Path) -> Path:
    """No scripts, frames or objects, and no reference LibreOffice would fetch: a document printed from the
    cloud must not make the server reach other hosts (ASVS V12.6, server-side request forgery)."""
    from lxml import etree, html

    try:
        tree = html.fromstring(source.read_bytes())
    except (etree.ParserError, ValueError):
        return source
    for element in tree.xpath("//script|//iframe|//frame|//object|//embed|//link|//meta|//base|//applet"):
        element.drop_tree()
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("src", "href", "background", "srcset", "data", "poster", "style"):
            value = element.get(attribute)
            if value is None:
                continue
            if attribute == "style" and "url(" not in value.lower():
                continue
            if attribute != "style" and value.strip().lower().startswith(("data:", "#")):
                continue
            del element.attrib[attribute]
    for style in tree.xpath("//style"):
        if "url(" in (style.text or "").lower() or "@import" in (style.text or "").lower():
            style.drop_tree()
    target = workdir / "sanitized.html"
    target.write_bytes(html.tostring(tree, doctype="<!DOCTYPE html>", encoding="utf-8"))
    return target


def soffice_available() -> bool:
    return shutil.which(django_settings.PRINT_SOFFICE) is not None


def _profile_dir() -> Path:
    """A LibreOffice user profile private to this process (created once: the first start is the slow one)."""
    path = Path(tempfile.gettempdir()) / f"lexcloud-soffice-{os.getuid()}-{os.getpid()}"
    if not path.exists():
        path.mkdir(mode=0o700)
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _render_with_soffice(source: Path, fmt: str, workdir: Path) -> Path:
    program = shutil.which(django_settings.PRINT_SOFFICE)
    if program is None:
        raise ConversionError("The document could not be converted: the office document converter (LibreOffice) "
                              "is not installed on the server.")
    outdir = workdir / "out"
    outdir.mkdir(exist_ok=True)
    target_filter = {F.CSV: "pdf:calc_pdf_Export", F.HTML: "pdf:writer_pdf_Export"}.get(fmt, "pdf")
    command = [program, f"-env:UserInstallation={_profile_dir().as_uri()}", "--headless", "--norestore",
               "--nologo", "--nolockcheck", "--nodefault", "--convert-to", target_filter, "--outdir", str(outdir)]
    if fmt in INPUT_FILTERS:
        command.append(f"--infilter={INPUT_FILTERS[fmt]}")
    command.append(str(source))
    timeout = django_settings.PRINT_CONVERSION_TIMEOUT
    with _soffice_lock:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                   env={**os.environ, "HOME": str(workdir)})
        try:
            _out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionError(f"The document could not be converted within {timeout} seconds.") from None
    result = outdir / f"{source.stem}.pdf"
    if process.returncode != 0 or not result.exists() or result.stat().st_size == 0:
        log.warning("soffice failed on %s (%s): %s", source.name, process.returncode, err[-500:])
        raise ConversionError("The document could not be converted: it is damaged or not a valid "
                              f"{F(fmt).label} document.")
    return result


def inspect_pdf(path: Path) -> PdfInfo:
    """Pages (pypdf), color (any page, rendered small) and the first page's paper size."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ConversionError("The PDF is password-protected: remove the password and submit it again.")
        pages = len(reader.pages)
        box = reader.pages[0].mediabox if pages else None
    except ConversionError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as error:
        raise ConversionError(f"The PDF could not be read ({_short(error)}).") from None
    if not pages:
        raise ConversionError("The document has no pages.")
    rotation = reader.pages[0].get("/Rotate", 0) or 0
    width, height = float(box.width), float(box.height)
    if rotation % 180:
        width, height = height, width
    return PdfInfo(pages=pages, color=uses_color(path), paper_size=paper_name(width, height))


def paper_name(width: float, height: float) -> str:
    """The paper a page size (points) is, either orientation, or its size in millimetres."""
    short, long = sorted((width, height))
    for name, (w, h) in PAPER_SIZES.items():
        if abs(short - w) <= 3 and abs(long - h) <= 3:
            return name
    return f"{round(width / 72 * 25.4)}x{round(height / 72 * 25.4)} mm"


def uses_color(path: Path) -> bool:
    """True when a rendered page has a pixel whose red, green and blue differ by more than COLOR_THRESHOLD."""
    import pypdfium2 as pdfium
    from PIL import ImageChops

    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as error:
            raise ConversionError(f"The PDF could not be read ({_short(error)}).") from None
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    image = page.render(scale=COLOR_SCALE).to_pil().convert("RGB")
                finally:
                    page.close()
                red, green, blue = image.split()
                spread = ImageChops.lighter(ImageChops.lighter(ImageChops.difference(red, green),
                                                               ImageChops.difference(green, blue)),
                                            ImageChops.difference(red, blue))
                if spread.getextrema()[1] > COLOR_THRESHOLD:
                    return True
        finally:
            document.close()
    return False


def _short(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
