"""What the IPP print service says about itself and its jobs, and how IPP job template attributes become the
Print Queue's print settings.

The service is one printer for everybody, "lexcloud cloud queue": its capabilities are the Print Queue's
settings (copies, sides, color mode, paper sizes, pages per side, orientation) and the 17 document formats.
Jobs are the user's PrintJob rows (job-id = PrintJob.pk); a job waiting for release at a printer is
pending-held with job-state-reasons job-hold-until-specified, as IPP's own hold/release model has it."""
import uuid
from datetime import UTC, datetime
from pathlib import PurePosixPath

from agents.ipp import JobStateValue, Op, Tag

from ..choices import ColorMode, DocumentFormat, JobState, Orientation, PagesPerSide, PaperSize, TwoSided
from ..models.jobs import MAX_COPIES
from ..services.formats import EXTENSIONS

PRINTER_NAME = "lexcloud cloud queue"
MAKE_AND_MODEL = "Lexcloud Cloud Print Queue"
OCTET_STREAM = "application/octet-stream"
STARTED = datetime.now(tz=UTC)

# document-format → the file extension submit_job's format check expects (the content is checked as well)
MIME_EXTENSIONS = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/gif": ".gif", "image/tiff": ".tiff",
    "text/plain": ".txt", "text/csv": ".csv", "text/html": ".html", "application/rtf": ".rtf", "text/rtf": ".rtf",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt", "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
FORMAT_MIME = {DocumentFormat(EXTENSIONS[ext]).value: mime for mime, ext in reversed(MIME_EXTENSIONS.items())}
DOCUMENT_FORMATS = [OCTET_STREAM, *sorted({FORMAT_MIME[f] for f in DocumentFormat.values})]

SIDES = {"one-sided": TwoSided.OFF, "two-sided-long-edge": TwoSided.LONG_EDGE,
         "two-sided-short-edge": TwoSided.SHORT_EDGE}
SIDES_OF = {value: key for key, value in SIDES.items()}
COLOR_MODES = {"auto": ColorMode.COLOR, "color": ColorMode.COLOR, "monochrome": ColorMode.MONO,
               "auto-monochrome": ColorMode.MONO, "process-monochrome": ColorMode.MONO, "bi-level": ColorMode.MONO}
MEDIA = {"na_letter_8.5x11in": PaperSize.LETTER, "na_legal_8.5x14in": PaperSize.LEGAL,
         "na_executive_7.25x10.5in": PaperSize.EXECUTIVE, "na_ledger_11x17in": PaperSize.TABLOID,
         "iso_a3_297x420mm": PaperSize.A3, "iso_a4_210x297mm": PaperSize.A4, "iso_a5_148x210mm": PaperSize.A5,
         "jis_b5_182x257mm": PaperSize.B5, "na_number-10_4.125x9.5in": PaperSize.ENVELOPE_10,
         "iso_dl_110x220mm": PaperSize.ENVELOPE_DL}
MEDIA_OF = {value: key for key, value in MEDIA.items()}
# media-size in hundredths of millimetres (PWG 5101.1), for clients that send media-col only
MEDIA_SIZES = {(21590, 27940): "na_letter_8.5x11in", (21590, 35560): "na_legal_8.5x14in",
               (18415, 26670): "na_executive_7.25x10.5in", (27940, 43180): "na_ledger_11x17in",
               (29700, 42000): "iso_a3_297x420mm", (21000, 29700): "iso_a4_210x297mm",
               (14800, 21000): "iso_a5_148x210mm", (18200, 25700): "jis_b5_182x257mm",
               (10477, 24130): "na_number-10_4.125x9.5in", (11000, 22000): "iso_dl_110x220mm"}
ORIENTATIONS = {3: Orientation.PORTRAIT, 4: Orientation.LANDSCAPE, 5: Orientation.LANDSCAPE,
                6: Orientation.PORTRAIT}
MULTIPLE_DOCUMENT_HANDLING = {"separate-documents-collated-copies": True,
                              "separate-documents-uncollated-copies": False}
OPERATIONS = [Op.PRINT_JOB, Op.VALIDATE_JOB, Op.CANCEL_JOB, Op.GET_JOB_ATTRIBUTES, Op.GET_JOBS,
              Op.GET_PRINTER_ATTRIBUTES]
JOB_TEMPLATE = frozenset({"copies", "sides", "print-color-mode", "media", "media-col", "orientation-requested",
                          "number-up", "multiple-document-handling", "job-hold-until", "print-quality",
                          "printer-resolution", "job-priority", "job-sheets", "finishings", "page-ranges",
                          "output-bin", "print-scaling", "media-source", "media-type"})
# accepted and ignored: the settings are chosen in the Print Queue or at the printer
IGNORED_TEMPLATE = frozenset({"job-hold-until", "print-quality", "printer-resolution", "job-priority",
                              "job-sheets", "print-scaling", "finishings", "page-ranges", "output-bin",
                              "media-source", "media-type"})

JOB_STATES = {
    JobState.RECEIVED: (JobStateValue.PENDING, "job-incoming", "Received"),
    JobState.CONVERTING: (JobStateValue.PROCESSING, "job-transforming", "Converting the document for printing"),
    JobState.HELD: (JobStateValue.PENDING_HELD, "job-hold-until-specified", "Ready to print: release it at a printer"),
    JobState.FAILED: (JobStateValue.ABORTED, "aborted-by-system", "The document could not be prepared for printing"),
    JobState.RELEASING: (JobStateValue.PROCESSING, "job-printing", "Printing"),
    JobState.PRINTED: (JobStateValue.COMPLETED, "job-completed-successfully", "Printed"),
    JobState.DELETED: (JobStateValue.CANCELED, "job-canceled-by-user", "Deleted"),
    JobState.EXPIRED: (JobStateValue.ABORTED, "aborted-by-system", "Expired"),
}


def mime_type(value: str | None) -> str:
    """A document-format without parameters, lower case ("" when absent)."""
    return (value or "").split(";", 1)[0].strip().lower()


def document_name(given: str, fmt: str) -> str:
    """The file name submit_job sees: the job's name without an extension we do not know, plus the one the
    document-format says (none for application/octet-stream: the content decides)."""
    name = PurePosixPath((given or "").replace("\\", "/")).name.strip() or "document"
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix.lower()
    known = suffix in EXTENSIONS
    extension = MIME_EXTENSIONS.get(fmt, "")
    if not extension:
        return name if known else name.replace(".", "_")
    if known and EXTENSIONS[suffix] == EXTENSIONS[extension]:
        return name
    return f"{stem if known else name}{extension}"


COPIES = {n: n for n in range(1, MAX_COPIES + 1)}
# job template attribute → (print setting, {IPP value: setting value}, how to read the IPP value)
TEMPLATE_SETTINGS = {
    "copies": ("copies", COPIES, None),
    "sides": ("two_sided", SIDES, None),
    "print-color-mode": ("color_mode", COLOR_MODES, None),
    "media": ("paper_size", MEDIA, None),
    "media-col": ("paper_size", MEDIA, lambda value: _media_of_collection(value)),
    "orientation-requested": ("orientation", ORIENTATIONS, None),
    "number-up": ("pages_per_side", {n: n for n in PagesPerSide.values}, None),
    "multiple-document-handling": ("collate", MULTIPLE_DOCUMENT_HANDLING, None),
}


def template_settings(attributes: dict) -> tuple[dict, list[tuple[int, str, object]]]:
    """Print settings for submit_job from job template attributes {name: IppAttribute}, and the attributes
    or values not supported (for the unsupported-attributes group)."""
    values, unsupported = {}, []
    for name, attribute in attributes.items():
        if name in IGNORED_TEMPLATE:
            continue
        setting, table, read = TEMPLATE_SETTINGS.get(name, (None, {}, None))
        value = read(attribute.value) if read else attribute.value
        if setting and len(attribute.values) == 1 and not isinstance(value, (bool, dict)) and value in table:
            values[setting] = table[value]
        else:
            unsupported.append((attribute.tag, name, list(attribute.values)))
    return values, unsupported


def _media_of_collection(collection) -> str | None:
    if not isinstance(collection, dict):
        return None
    if "media-size-name" in collection:
        return collection["media-size-name"][1]
    size = collection.get("media-size", (None, {}))[1]
    if isinstance(size, dict):
        dims = (size.get("x-dimension", (0, 0))[1], size.get("y-dimension", (0, 0))[1])
        return MEDIA_SIZES.get(dims)
    return None


def _time(value) -> int:
    return int(value.timestamp()) if value else 0


def job_attributes(job, printer_uri: str) -> dict[str, tuple[int, object]]:
    """Every job attribute the service reports, {name: (tag, value)}."""
    state, reason, message = JOB_STATES.get(job.state, JOB_STATES[JobState.RECEIVED])
    if job.state == JobState.FAILED and job.failure_reason:
        message = job.failure_reason
    attributes = {
        "job-id": (Tag.INTEGER, job.pk),
        "job-uri": (Tag.URI, f"{printer_uri}/{job.pk}"),
        "job-printer-uri": (Tag.URI, printer_uri),
        "job-name": (Tag.NAME, job.title),
        "job-originating-user-name": (Tag.NAME, job.owner.email),
        "job-state": (Tag.ENUM, state),
        "job-state-reasons": (Tag.KEYWORD, reason),
        "job-state-message": (Tag.TEXT, message[:1023]),
        "job-printer-up-time": (Tag.INTEGER, _time(datetime.now(tz=UTC))),
        "time-at-creation": (Tag.INTEGER, _time(job.submitted_at)),
        "time-at-processing": (Tag.NO_VALUE, None),
        "time-at-completed": (Tag.NO_VALUE, None),
        "date-time-at-creation": (Tag.DATE_TIME, job.submitted_at),
        "document-format": (Tag.MIME_MEDIA_TYPE, FORMAT_MIME.get(job.format, OCTET_STREAM)),
        "document-name-supplied": (Tag.NAME, job.file_name),
        "job-k-octets": (Tag.INTEGER, (job.size + 1023) // 1024),
        "copies": (Tag.INTEGER, job.copies),
        "print-color-mode": (Tag.KEYWORD, "monochrome" if job.color_mode == ColorMode.MONO else "color"),
        "number-up": (Tag.INTEGER, job.pages_per_side),
        "multiple-document-handling": (Tag.KEYWORD, "separate-documents-collated-copies" if job.collate
                                       else "separate-documents-uncollated-copies"),
    }
    if job.state == JobState.HELD:
        attributes["job-hold-until"] = (Tag.KEYWORD, "indefinite")
    if job.two_sided in SIDES_OF:
        attributes["sides"] = (Tag.KEYWORD, SIDES_OF[job.two_sided])
    if job.paper_size in MEDIA_OF:
        attributes["media"] = (Tag.KEYWORD, MEDIA_OF[job.paper_size])
    if job.orientation in (Orientation.PORTRAIT, Orientation.LANDSCAPE):
        attributes["orientation-requested"] = (Tag.ENUM, 3 if job.orientation == Orientation.PORTRAIT else 4)
    if job.pages:
        attributes["job-impressions"] = (Tag.INTEGER, job.pages * job.copies)
        attributes["job-media-sheets"] = (Tag.INTEGER, job.pages * job.copies)
    return attributes


JOB_DESCRIPTION_DEFAULT = ("job-id", "job-uri")


def printer_uuid(host: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'lexcloud-ipp-print:{host.lower()}')}"


MARGIN = 635   # hundredths of mm (1/4 inch): what the PDF is laid out for; the printer applies its own


def _media_col(name: str) -> dict:
    x, y = next(size for size, media in MEDIA_SIZES.items() if media == name)
    return {"media-size": (Tag.BEGIN_COLLECTION, {"x-dimension": (Tag.INTEGER, x), "y-dimension": (Tag.INTEGER, y)}),
            "media-size-name": (Tag.KEYWORD, name),
            **{f"media-{side}-margin": (Tag.INTEGER, MARGIN) for side in ("bottom", "left", "right", "top")}}


def printer_attributes(*, printer_uri: str, secure: bool, host: str, queued: int, info_uri: str
                       ) -> dict[str, tuple[int, object]]:
    """The IPP Everywhere printer description and job template capabilities of the service."""
    now = datetime.now(tz=UTC)
    media = list(MEDIA)
    return {
        "printer-uri-supported": (Tag.URI, printer_uri),
        "uri-security-supported": (Tag.KEYWORD, "tls" if secure else "none"),
        "uri-authentication-supported": (Tag.KEYWORD, "basic"),
        "printer-name": (Tag.NAME, PRINTER_NAME),
        "printer-info": (Tag.TEXT, "Documents wait in your cloud print queue until you release them at a printer"),
        "printer-location": (Tag.TEXT, "Cloud"),
        "printer-more-info": (Tag.URI, info_uri),
        "printer-make-and-model": (Tag.TEXT, MAKE_AND_MODEL),
        "printer-uuid": (Tag.URI, printer_uuid(host)),
        "printer-state": (Tag.ENUM, 3),
        "printer-state-reasons": (Tag.KEYWORD, "none"),
        "printer-state-message": (Tag.TEXT, "Ready"),
        "printer-is-accepting-jobs": (Tag.BOOLEAN, True),
        "queued-job-count": (Tag.INTEGER, queued),
        "printer-up-time": (Tag.INTEGER, _time(now)),
        "printer-current-time": (Tag.DATE_TIME, now),
        "printer-state-change-time": (Tag.INTEGER, _time(STARTED)),
        "printer-config-change-time": (Tag.INTEGER, _time(STARTED)),
        "printer-config-change-date-time": (Tag.DATE_TIME, STARTED),
        "printer-state-change-date-time": (Tag.DATE_TIME, STARTED),
        "printer-geo-location": (Tag.UNKNOWN, None),
        "printer-organization": (Tag.TEXT, ""),
        "printer-organizational-unit": (Tag.TEXT, ""),
        "printer-device-id": (Tag.TEXT, "MFG:Lexcloud;MDL:Cloud Print Queue;CMD:PDF;CLS:PRINTER;"),
        "pages-per-minute": (Tag.INTEGER, 60),
        "pages-per-minute-color": (Tag.INTEGER, 60),
        "preferred-attributes-supported": (Tag.BOOLEAN, False),
        "multiple-operation-time-out-action": (Tag.KEYWORD, "abort-job"),
        "ipp-versions-supported": (Tag.KEYWORD, ["1.1", "2.0"]),
        "ipp-features-supported": (Tag.KEYWORD, ["ipp-everywhere"]),
        "operations-supported": (Tag.ENUM, OPERATIONS),
        "charset-configured": (Tag.CHARSET, "utf-8"),
        "charset-supported": (Tag.CHARSET, ["utf-8", "us-ascii"]),
        "natural-language-configured": (Tag.NATURAL_LANGUAGE, "en"),
        "generated-natural-language-supported": (Tag.NATURAL_LANGUAGE, "en"),
        "document-format-default": (Tag.MIME_MEDIA_TYPE, OCTET_STREAM),
        "document-format-supported": (Tag.MIME_MEDIA_TYPE, DOCUMENT_FORMATS),
        "pdl-override-supported": (Tag.KEYWORD, "attempted"),
        "compression-supported": (Tag.KEYWORD, ["none"]),
        "multiple-document-jobs-supported": (Tag.BOOLEAN, False),
        "multiple-operation-time-out": (Tag.INTEGER, 60),
        "job-ids-supported": (Tag.BOOLEAN, True),
        "which-jobs-supported": (Tag.KEYWORD, ["completed", "not-completed"]),
        "printer-get-attributes-supported": (Tag.KEYWORD, ["document-format"]),
        "job-creation-attributes-supported": (Tag.KEYWORD, ["copies", "sides", "print-color-mode", "media",
                                                            "media-col", "orientation-requested", "number-up",
                                                            "multiple-document-handling"]),
        "color-supported": (Tag.BOOLEAN, True),
        "copies-default": (Tag.INTEGER, 1),
        "copies-supported": (Tag.RANGE_OF_INTEGER, (1, MAX_COPIES)),
        "sides-default": (Tag.KEYWORD, "one-sided"),
        "sides-supported": (Tag.KEYWORD, list(SIDES)),
        "print-color-mode-default": (Tag.KEYWORD, "auto"),
        "print-color-mode-supported": (Tag.KEYWORD, ["auto", "color", "monochrome"]),
        "media-default": (Tag.KEYWORD, "na_letter_8.5x11in"),
        "media-supported": (Tag.KEYWORD, media),
        "media-ready": (Tag.KEYWORD, ["na_letter_8.5x11in", "iso_a4_210x297mm"]),
        "media-col-supported": (Tag.KEYWORD, ["media-size", "media-size-name", "media-bottom-margin",
                                              "media-left-margin", "media-right-margin", "media-top-margin"]),
        "media-col-default": (Tag.BEGIN_COLLECTION, _media_col("na_letter_8.5x11in")),
        "media-col-ready": (Tag.BEGIN_COLLECTION, [_media_col("na_letter_8.5x11in"), _media_col("iso_a4_210x297mm")]),
        "media-col-database": (Tag.BEGIN_COLLECTION, [_media_col(name) for name in media]),
        "media-size-supported": (Tag.BEGIN_COLLECTION, [
            {"x-dimension": (Tag.INTEGER, x), "y-dimension": (Tag.INTEGER, y)} for x, y in MEDIA_SIZES]),
        **{f"media-{side}-margin-supported": (Tag.INTEGER, MARGIN) for side in ("bottom", "left", "right", "top")},
        "media-source-supported": (Tag.KEYWORD, ["auto"]),
        "media-type-supported": (Tag.KEYWORD, ["stationery"]),
        "finishings-default": (Tag.ENUM, 3),
        "finishings-supported": (Tag.ENUM, [3]),
        "output-bin-default": (Tag.KEYWORD, "face-down"),
        "output-bin-supported": (Tag.KEYWORD, ["face-down"]),
        "page-ranges-supported": (Tag.BOOLEAN, False),
        "print-content-optimize-default": (Tag.KEYWORD, "auto"),
        "print-content-optimize-supported": (Tag.KEYWORD, ["auto"]),
        "print-rendering-intent-default": (Tag.KEYWORD, "auto"),
        "print-rendering-intent-supported": (Tag.KEYWORD, ["auto"]),
        "orientation-requested-default": (Tag.ENUM, 3),
        "orientation-requested-supported": (Tag.ENUM, [3, 4, 5, 6]),
        "number-up-default": (Tag.INTEGER, 1),
        "number-up-supported": (Tag.INTEGER, list(PagesPerSide.values)),
        "multiple-document-handling-default": (Tag.KEYWORD, "separate-documents-collated-copies"),
        "multiple-document-handling-supported": (Tag.KEYWORD, list(MULTIPLE_DOCUMENT_HANDLING)),
        "print-quality-default": (Tag.ENUM, 4),
        "print-quality-supported": (Tag.ENUM, [4]),
        "printer-resolution-default": (Tag.RESOLUTION, (600, 600, 3)),
        "printer-resolution-supported": (Tag.RESOLUTION, (600, 600, 3)),
        "job-hold-until-default": (Tag.KEYWORD, "indefinite"),
        "job-hold-until-supported": (Tag.KEYWORD, ["no-hold", "indefinite"]),   # every job waits for release
    }


def is_job_template(name: str) -> bool:
    base = name.removesuffix("-default").removesuffix("-supported").removesuffix("-ready")
    return base in JOB_TEMPLATE or name == "color-supported"


def select(attributes: dict[str, tuple[int, object]], requested: list[str], *, default: tuple[str, ...] = ()
           ) -> list[tuple[int, str, object]]:
    """The attributes a requested-attributes list asks for ("all", "job-template", "printer-description",
    "job-description" or names); `default` when the client asked for none."""
    wanted = set(requested or default or ("all",))
    out = []
    for name, (tag, value) in attributes.items():
        template = is_job_template(name)
        if ("all" in wanted or name in wanted or ("job-template" in wanted and template)
                or ({"printer-description", "job-description", "job-status"} & wanted and not template)):
            out.append((tag, name, value))
    return out
