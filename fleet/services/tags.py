"""Tags: custom text assigned to printers to find and group them. Create, rename, delete, assign and remove,
and "Tag printers using file import" (a TXT or CSV list of IP addresses or serial numbers, checked whole
before anything is tagged)."""
import csv
import ipaddress
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper

from ..models import Printer, Tag

MAX_IMPORT_BYTES = 200 * 1024                         # "The file size must not exceed 200KB."
IMPORT_EXTENSIONS = (".txt", ".csv")
IP_HEADER, SERIAL_HEADER = "ip address", "serial number"
LOOKUP_CHUNK = 1000


def _clean_name(organization, name: str, *, exclude=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Type a tag name."})
    limit = Tag._meta.get_field("name").max_length
    if len(name) > limit:
        raise ValidationError({"name": f"The tag name must not exceed {limit} characters."})
    taken = Tag.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": f"A tag named “{name}” already exists. Type a unique tag name."})
    return name


def _saved(tag: Tag, **options) -> Tag:
    """Save, turning the race of two requests for the same name into the same message as the check above."""
    try:
        with transaction.atomic():
            tag.save(**options)
    except IntegrityError:
        raise ValidationError({"name": f"A tag named “{tag.name}” already exists. Type a unique tag name."}) from None
    return tag


def create_tag(organization, name: str) -> Tag:
    """Create tag: "Type a unique tag name" (unique in the organization, whatever the case)."""
    return _saved(Tag(organization=organization, name=_clean_name(organization, name)))


def rename_tag(tag: Tag, name: str) -> Tag:
    tag.name = _clean_name(tag.organization_id, name, exclude=tag)
    return _saved(tag, update_fields=["name"])


@transaction.atomic
def delete_tags(organization, tag_ids) -> int:
    """Manage tags > Delete: the tags go, and with them their assignments; ids of other organizations are
    ignored. Returns how many were deleted."""
    tags = Tag.objects.filter(organization=organization, pk__in=list(tag_ids))
    Printer.tags.through.objects.filter(tag__in=tags).delete()
    deleted, _ = tags.delete()
    return deleted


def _org_tags(organization, tag_ids) -> list[Tag]:
    tag_ids = list(tag_ids)
    tags = list(Tag.objects.filter(organization=organization, pk__in=tag_ids))
    if len(tags) != len(set(tag_ids)):
        raise ValidationError("Select tags of this organization.", code="tags")
    return tags


def _assign(tags, printer_ids) -> None:
    through = Printer.tags.through
    through.objects.bulk_create([through(printer_id=p, tag_id=t.pk) for t in tags for p in printer_ids],
                                ignore_conflicts=True, batch_size=LOOKUP_CHUNK)


@transaction.atomic
def apply_tags(organization, printers, *, assign=(), remove=()) -> int:
    """The Tags menu's **Apply**: the ticked tags are assigned to the selected printers, the cleared ones
    removed from them. Returns how many printers were changed."""
    assign, remove = list(assign), [t for t in remove if t not in set(assign)]
    if not assign and not remove:
        raise ValidationError("Select or clear one or more tags.", code="no_tags")
    printer_ids = list(Printer.objects.enrolled().filter(organization=organization, pk__in=[p.pk for p in printers])
                       .values_list("pk", flat=True))
    if not printer_ids:
        raise ValidationError("Select one or more printers.", code="no_printers")
    _assign(_org_tags(organization, assign), printer_ids)
    Printer.tags.through.objects.filter(printer_id__in=printer_ids,
                                        tag__in=_org_tags(organization, remove)).delete()
    return len(printer_ids)


# --------------------------------------------------------------------------------------------- file import
@dataclass
class TagImport:
    """What a file import did: printers tagged, and the listed printers not found in the organization."""

    header: str
    tagged: int = 0
    not_tagged: list[str] = field(default_factory=list)

    @property
    def summary_needed(self) -> bool:
        """The Tag Printers Results Summary appears only when some listed printers were not tagged."""
        return bool(self.not_tagged)


def _text(uploaded_file) -> str:
    name = (getattr(uploaded_file, "name", "") or "").lower()
    if not name.endswith(IMPORT_EXTENSIONS):
        raise ValidationError("The file must be in TXT or CSV format.", code="extension")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_IMPORT_BYTES:
        raise ValidationError("The file size must not exceed 200KB.", code="too_large")
    raw = uploaded_file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError("The file size must not exceed 200KB.", code="too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file must be UTF-8 text (TXT or CSV).", code="encoding") from None


def _cells(line: str) -> list[str]:
    try:
        return [cell.strip() for cell in next(csv.reader([line]))]
    except (csv.Error, StopIteration):
        return [line.strip()]


def read_tag_file(uploaded_file) -> tuple[str, list[str]]:
    """(header, values) of a tag import file, or a ValidationError listing every problem with its line:
    header "IP Address" or "Serial Number" (any case), relevant data, valid IP addresses, no blank lines."""
    lines = _text(uploaded_file).splitlines()
    if not lines or not lines[0].strip():
        raise ValidationError("Line 1: the file must have either IP Address or Serial Number as the header.",
                              code="header")
    header_cells = [cell.lower() for cell in _cells(lines[0])]
    header = next((h for h in header_cells if h in (IP_HEADER, SERIAL_HEADER)), None)
    if header is None:
        raise ValidationError("Line 1: the file must have either IP Address or Serial Number as the header "
                              f"(found “{lines[0].strip()[:60]}”).", code="header")
    column = header_cells.index(header)
    errors, values = [], []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            errors.append(f"Line {number}: the file must not have blank lines.")
            continue
        cells = _cells(line)
        value = cells[column] if column < len(cells) else ""
        if not value:
            errors.append(f"Line {number}: no {'IP address' if header == IP_HEADER else 'serial number'}.")
        elif header == IP_HEADER and not _is_ip(value):
            errors.append(f"Line {number}: “{value[:60]}” is not a valid IP address.")
        else:
            values.append(value)
    if not values and not errors:
        raise ValidationError("The file must have relevant data along with the required header.", code="empty")
    if errors:
        raise ValidationError(errors, code="lines")
    return header, values


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _matching_printers(organization, header: str, values: list[str]) -> dict[str, list[int]]:
    """Listed value → ids of the organization's enrolled printers it names (serials match in any case; one
    IP address can name several printers, e.g. USB printers of one Local Agent host)."""
    printers = Printer.objects.enrolled().filter(organization=organization)
    found: dict[str, list[int]] = {}
    for index in range(0, len(values), LOOKUP_CHUNK):
        chunk = values[index:index + LOOKUP_CHUNK]
        if header == IP_HEADER:
            normalized = {str(ipaddress.ip_address(v)): v for v in chunk}
            rows = printers.filter(ip_address__in=list(normalized)).values_list("pk", "ip_address")
            for pk, ip in rows:
                found.setdefault(normalized[str(ip)], []).append(pk)
        else:
            wanted = {v.upper(): v for v in chunk}
            rows = printers.annotate(key=Upper("serial")).filter(key__in=list(wanted)).values_list("pk", "key")
            for pk, key in rows:
                found.setdefault(wanted[key], []).append(pk)
    return found


@transaction.atomic
def import_tags(organization, tag_ids, uploaded_file) -> TagImport:
    """Tag printers using file import: every line is checked first; on any error nothing is tagged. Printers
    already tagged can receive more tags."""
    tag_ids = list(tag_ids)
    if not tag_ids:
        raise ValidationError("Select one or more tags.", code="no_tags")
    tags = _org_tags(organization, tag_ids)
    header, values = read_tag_file(uploaded_file)
    unique = {(v.upper() if header == SERIAL_HEADER else v): v for v in reversed(values)}
    values = list(reversed(unique.values()))   # a printer listed twice is tagged once (serials in any case)
    found = _matching_printers(organization, header, values)
    printer_ids = sorted({pk for ids in found.values() for pk in ids})
    _assign(tags, printer_ids)
    return TagImport(header=header, tagged=len(printer_ids), not_tagged=[v for v in values if v not in found])
