"""Badge / PIN import from a CSV or TXT file (guide L8283-8346; spec C §21, test cases T10-T17, A §25).

Header `BADGE, OPERATION, EMAIL, TEMPORARY, PIN`: the five names, case-sensitive, in any order; names and
values are trimmed (the guide's samples put a space after each comma). Values containing commas are enclosed
in double quotation marks. Rows with fewer values than the header are padded with empty values (the guide's
own `20171a,DELETE,`, as decision 0003 does for users); rows with more are rejected. At most 1MB.

Operations:
- CREATE: a badge (BADGE, temporary if TEMPORARY is true) and/or a PIN for the existing user EMAIL. Badge
  import never creates users. The PIN follows the organization's PIN generation option: "Administrator
  manually set" → the file's value (services.printer_login.set_pin, source IMPORT); "Automatically generate
  and email" → the value is ignored and a PIN is generated and e-mailed (generate_pin); "User set" → a PIN
  value is set as under "Administrator manually set" (set_pin decides what an administrator may do).
- DELETE: the badge identified by BADGE (EMAIL, if given, must be its owner); with a PIN value and EMAIL, the
  user's PIN is deleted too (a PIN-only DELETE row deletes the user's PIN).

Required values on CREATE (T16), from the printer login configuration: Badge + PIN as second factor → BADGE
and PIN; Standard with Badge only → BADGE; with PIN only → PIN; with both (or neither) → at least one of them.
PIN requirements do not apply under "User set".

Every bad line is reported with its file line number (the header is line 1) and changes nothing; good lines
apply. Rows are applied in batches, each in a transaction, each row in a savepoint; the importer's authority
(no rows for users above them, docs/decisions/0004) is worked out per batch."""
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from lexcloud import csvfile
from lexcloud.csvfile import SIZE_MESSAGE, decode_file, read_lines  # noqa: F401  (SIZE_MESSAGE re-exported)

from .. import access
from ..choices import LoginMode, PinGeneration, PinSource
from ..models import Badge, Organization, User
from . import badges as badge_services

HEADER = ["BADGE", "OPERATION", "EMAIL", "TEMPORARY", "PIN"]
HEADER_LINE = ", ".join(HEADER)
OPERATIONS = ("CREATE", "DELETE")
BATCH_SIZE = 500
NO_USER = "Badge import does not create a user. The user must exist before a badge can be created."
NOT_FOUND = "User not found in this organization."

SAMPLE_CSV = (
    HEADER_LINE + "\r\n"
    "20171a, CREATE, jdoe@company.com, true,\r\n"
    "20172b, CREATE, llane@company.com, true,\r\n"
    "20173c, DELETE, ckent@company.com, false,\r\n"
)


@dataclass
class BadgeRow:
    line: int
    operation: str
    badge: str
    email: str
    temporary: bool
    pin: str


@dataclass
class BadgeImportResult:
    badges_created: int = 0
    badges_deleted: int = 0
    pins_set: int = 0
    pins_generated: int = 0
    pins_deleted: int = 0
    total_rows: int = 0
    errors: list = field(default_factory=list)  # {"line", "email", "reason"}

    @property
    def imported_rows(self) -> int:
        return self.total_rows - len(self.errors)

    def error(self, line: int, email: str, reason: str) -> None:
        self.errors.append({"line": line, "email": email, "reason": reason})

    def as_dict(self) -> dict:
        return {**asdict(self), "imported_rows": self.imported_rows}


# --- parsing --------------------------------------------------------------------------------------------

def _check_header(header) -> list[str]:
    names = [h.strip() for h in header or []]
    if not any(names):
        raise ValidationError(f"The file is empty: its first line must be the header {HEADER_LINE}", code="header")
    if sorted(names) == sorted(HEADER):
        return names
    if sorted(n.upper() for n in names) == sorted(HEADER):
        raise ValidationError(f"The header line is case-sensitive: write the column names as {HEADER_LINE}",
                              code="header")
    raise ValidationError(f"The first line must be the header {HEADER_LINE} (the columns may be in any order; "
                          f"found {', '.join(names)})", code="header")


def _parse_row(line: int, names: list[str], values: list[str]) -> BadgeRow:
    if len(values) > len(names):
        raise ValidationError(f"The line has {len(values)} values but the header has {len(names)}. Enclose "
                              "values that contain commas in double quotation marks.")
    padded = [v.strip() for v in values] + [""] * (len(names) - len(values))
    cells = dict(zip(names, padded, strict=True))
    operation = cells["OPERATION"].upper()
    if not operation:
        raise ValidationError("OPERATION is required: CREATE or DELETE.")
    if operation not in OPERATIONS:
        raise ValidationError("OPERATION must be CREATE or DELETE.")
    temporary = cells["TEMPORARY"].lower()
    if temporary not in ("", "true", "false"):
        raise ValidationError("TEMPORARY must be true or false.")
    badge = cells["BADGE"]
    if badge:
        try:
            badge = badge_services.clean_badge_id(badge)
        except ValidationError as exc:
            raise ValidationError(" ".join(exc.messages)) from None
    return BadgeRow(line=line, operation=operation, badge=badge, email=cells["EMAIL"].lower(),
                    temporary=temporary == "true", pin=cells["PIN"])


def parse_badge_csv(text: str) -> tuple[list[BadgeRow], list[dict]]:
    """A bad header raises ValidationError; bad lines come back as errors ({line, email, reason})."""
    header, lines, errors = read_lines(text, skipinitialspace=True)
    names = _check_header(header)
    rows = []
    for line, values in lines:
        try:
            rows.append(_parse_row(line, names, values))
        except ValidationError as exc:
            email = values[names.index("EMAIL")].strip().lower() if len(values) > names.index("EMAIL") else ""
            errors.append({"line": line, "email": email, "reason": " ".join(exc.messages)})
    return rows, errors


# --- applying -------------------------------------------------------------------------------------------

@dataclass
class _Rules:
    badge_required: bool
    pin_required: bool
    either_required: bool
    pin_generation: str

    @classmethod
    def of(cls, org):
        from .printer_login import get_configuration

        config = get_configuration(org)
        user_set = config.pin_generation == PinGeneration.USER_SET
        if config.mode == LoginMode.BADGE_PIN:
            return cls(True, not user_set, False, config.pin_generation)
        if config.badge and not config.pin:
            return cls(True, False, False, config.pin_generation)
        if config.pin and not config.badge:
            return cls(False, not user_set, False, config.pin_generation)
        return cls(False, False, True, config.pin_generation)


def import_badges(org: Organization, content, *, by: User | None = None) -> BadgeImportResult:
    """Apply a badge/PIN file to `org`. A bad file (size, encoding, header) raises ValidationError and
    changes nothing; each bad line is reported and changes nothing; good lines apply."""
    rows, parse_errors = parse_badge_csv(decode_file(content))
    result = BadgeImportResult(total_rows=len(rows) + len(parse_errors), errors=list(parse_errors))
    if rows:
        rules = _Rules.of(org)
        for start in range(0, len(rows), BATCH_SIZE):
            _apply_batch(org, rows[start:start + BATCH_SIZE], by=by, rules=rules, result=result)
    result.errors.sort(key=lambda e: e["line"])
    return result


def _required_value_problem(row: BadgeRow, rules: _Rules) -> str | None:
    if row.operation != "CREATE":
        if not row.badge and not row.pin:
            return "A DELETE line needs the BADGE to delete, or a PIN to delete the user's PIN."
        if not row.badge and not row.email:
            return "EMAIL is required to delete a user's PIN."
        return None
    if not row.email:
        return "EMAIL is required for the CREATE operation."
    if rules.badge_required and not row.badge:
        return "BADGE must not be empty: the printer login uses badges."
    if rules.pin_required and not row.pin and rules.pin_generation != PinGeneration.AUTO_EMAIL:
        return "PIN must not be empty: the printer login uses PINs."
    if rules.either_required and not row.badge and not row.pin:
        return "The line needs a BADGE or a PIN."
    return None


@transaction.atomic
def _apply_batch(org, batch, *, by, rules, result) -> None:
    from . import printer_login as pin_services

    above = access.users_above(by, org) if by is not None else set()
    users = {u.email: u for u in User.objects.filter(organization=org, email__in={r.email for r in batch if r.email})
             .select_related("organization")}
    badges = {b.badge_id: b for b in Badge.objects.filter(organization=org, badge_id__in={r.badge for r in batch
                                                                                            if r.badge})}
    for row in batch:
        problem = _required_value_problem(row, rules)
        if problem:
            result.error(row.line, row.email, problem)
            continue
        user = users.get(row.email) if row.email else None
        if row.email and user is None:
            result.error(row.line, row.email, NO_USER if row.operation == "CREATE" else NOT_FOUND)
            continue
        if row.operation == "DELETE" and row.badge:
            badge = badges.get(row.badge)
            if badge is None:
                result.error(row.line, row.email, "No badge with this BADGE value is registered.")
                continue
            if user is not None and badge.user_id != user.pk:
                result.error(row.line, row.email, "The badge is not registered to this user.")
                continue
            owner_id = badge.user_id
        else:
            owner_id = user.pk
        if owner_id in above:
            result.error(row.line, row.email, "You cannot change a user who has more rights than you.")
            continue
        counts, created = {}, None
        try:
            with transaction.atomic():  # the row applies whole or not at all
                if row.operation == "CREATE":
                    if row.badge:
                        created = badge_services.register_badge(user, row.badge, temporary=row.temporary)
                        counts["badges_created"] = 1
                    if rules.pin_generation == PinGeneration.AUTO_EMAIL:
                        if row.pin or rules.pin_required:
                            pin_services.generate_pin(user, by=by)
                            counts["pins_generated"] = 1
                    elif row.pin:
                        pin_services.set_pin(user, row.pin, by=by, source=PinSource.IMPORT)
                        counts["pins_set"] = 1
                else:
                    if row.badge:
                        badges[row.badge].delete()
                        counts["badges_deleted"] = 1
                    if row.pin and user is not None:
                        counts["pins_deleted"] = pin_services.delete_pins(org, [user.pk], by=by)
        except ValidationError as exc:
            result.error(row.line, row.email, " ".join(exc.messages))
            continue
        except PermissionDenied:
            result.error(row.line, row.email, "You do not have the role this operation needs (PINs).")
            continue
        if created is not None:
            badges[row.badge] = created
        elif row.operation == "DELETE" and row.badge:
            badges.pop(row.badge, None)
        for name, value in counts.items():
            setattr(result, name, getattr(result, name) + value)


def read_upload(uploaded_file) -> bytes:
    """The uploaded file's bytes (CSV or TXT, at most 1MB): ValidationError otherwise."""
    return csvfile.read_upload(uploaded_file)[1]
