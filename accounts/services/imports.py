"""User import from a CSV/TXT file (guide "Importing users"; spec C §9, A §17).

`import_users` applies a file synchronously, in batches of BATCH_SIZE rows with a constant number of queries
per batch, each batch in its own transaction. `start_user_import` validates a file, stores it as a UserImport
and schedules `accounts.tasks.run_user_import`, which calls `run_import` (progress, result, e-mailed log).
Decisions (padding of short rows, the guide's "password2", CUSTOM_ATTRIBUTES forms): docs/decisions/0003.
"""
import json
import logging
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone

from lexcloud.csvfile import SIZE_MESSAGE, decode_file, read_lines, read_upload  # noqa: F401  (re-exported)

from .. import access
from ..choices import GroupKind, ImportStatus
from ..models import Group, Organization, User, UserImport
from ..passwords import password_problems
from ..roles import PARTNER_ADMINISTRATOR
from . import users as user_services
from .groups import sanitize_group_name

log = logging.getLogger(__name__)

HEADER = ["EMAIL", "OPERATION", "PASSWORD", "FIRST_NAME", "LAST_NAME", "DISPLAY_NAME", "SHORTNAME", "GROUPS",
          "CUSTOM_ATTRIBUTES", "COST_CENTER", "DEPARTMENT"]
HEADER_LINE = ",".join(HEADER)
OPERATIONS = ("CREATE", "UPDATE", "DELETE")
DELETE_TOKEN = "[delete]"
# Column → User field for the plain text columns (all six are PROFILE_FIELDS of services.users).
TEXT_COLUMNS = {"FIRST_NAME": "first_name", "LAST_NAME": "last_name", "DISPLAY_NAME": "display_name",
                "SHORTNAME": "shortname", "COST_CENTER": "cost_center", "DEPARTMENT": "department"}
assert set(TEXT_COLUMNS.values()) == set(user_services.PROFILE_FIELDS)
MAX_TEXT = 150
BATCH_SIZE = 500

NOT_FOUND = "User not found in this organization."

# The guide's sample file (C §25 T2, line breaks repaired), served by the "Download a sample" link.
SAMPLE_CSV = (
    HEADER_LINE + "\r\n"
    "jdoe@company.com,CREATE,,John,Doe,Johnny,jdoe,Group 1,\"{'key1':'value1','key2':'value2'}\"\r\n"
    "llane@company.com,UPDATE,password2,Lois,Lane,Lois,llane,,\r\n"
    "ckent@company.com,DELETE,,,,,,,,\r\n"
)


@dataclass
class ImportRow:
    line: int
    email: str
    operation: str
    password: str = ""
    profile: dict = field(default_factory=dict)       # field → value as written ("" = empty, DELETE_TOKEN)
    groups: list = field(default_factory=list)        # sanitised names
    custom_attributes: dict | None = None             # None = column empty; {} after [delete]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    total_rows: int = 0
    errors: list = field(default_factory=list)        # {"line", "email", "reason"}

    def error(self, line: int, email: str, reason: str) -> None:
        self.errors.append({"line": line, "email": email, "reason": reason})

    def as_dict(self) -> dict:
        return asdict(self)


# --- file level -----------------------------------------------------------------------------------------

def _check_header(header: list[str] | None) -> None:
    if not header or not any(h.strip() for h in header):
        raise ValidationError(f"The file is empty: its first line must be the header {HEADER_LINE}", code="header")
    names = [h.strip() for h in header]
    if names == HEADER:
        return
    if [n.upper() for n in names] == HEADER:
        raise ValidationError(f"The header line is case-sensitive: write it exactly as {HEADER_LINE}",
                              code="header")
    raise ValidationError(f"The first line must be the header {HEADER_LINE} (found {','.join(names)})",
                          code="header")


# --- values ---------------------------------------------------------------------------------------------

def parse_custom_attributes(raw: str) -> dict:
    """JSON first; then the guide's forms {'key1':'value1','key2':'value2'} and {key1:'value1';key2:'value2'}
    (single or double quotes or none, "," or ";" between pairs). Raises ValueError."""
    raw = raw.strip()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    if not (raw.startswith("{") and raw.endswith("}")):
        raise ValueError(raw)
    inner, i, result = raw[1:-1], 0, {}

    def token(i, stops):
        while i < len(inner) and inner[i].isspace():
            i += 1
        if i < len(inner) and inner[i] in "'\"":
            end = inner.find(inner[i], i + 1)
            if end < 0:
                raise ValueError(raw)
            text, i = inner[i + 1:end], end + 1
            while i < len(inner) and inner[i].isspace():
                i += 1
            return text, i
        start = i
        while i < len(inner) and inner[i] not in stops:
            i += 1
        return inner[start:i].strip(), i

    while i < len(inner):
        key, i = token(i, ":")
        if i >= len(inner) or inner[i] != ":" or not key:
            raise ValueError(raw)
        value, i = token(i + 1, ",;")
        result[key] = value
        if i < len(inner):
            if inner[i] not in ",;":
                raise ValueError(raw)
            i += 1
    return result


def _parse_row(line: int, values: list[str]) -> ImportRow:
    """One data line → ImportRow, or ValidationError(reason). No database access."""
    if len(values) > len(HEADER):
        raise ValidationError(
            f"The line has {len(values)} values but the header has {len(HEADER)}. Enclose values that contain "
            "commas in double quotation marks.")
    cells = dict(zip(HEADER, [v.strip() for v in values] + [""] * (len(HEADER) - len(values)), strict=True))
    if not cells["EMAIL"]:
        raise ValidationError("EMAIL is required.")
    try:
        email = user_services.normalize_email(cells["EMAIL"])
    except ValidationError:
        raise ValidationError("Type a valid e-mail address.") from None
    operation = cells["OPERATION"].upper()
    if operation not in OPERATIONS:
        raise ValidationError("OPERATION must be CREATE, UPDATE or DELETE.")
    row = ImportRow(line=line, email=email, operation=operation)
    if operation == "DELETE":
        return row  # the other columns do not matter
    creating = operation == "CREATE"
    password = cells["PASSWORD"]
    if password and password != DELETE_TOKEN:
        problems = password_problems(password)
        if problems:
            raise ValidationError(" ".join(problems))
        row.password = password
    for column, name in TEXT_COLUMNS.items():
        value = cells[column]
        if creating and value == DELETE_TOKEN:
            value = ""
        if len(value) > MAX_TEXT:
            raise ValidationError(f"{column} can have at most {MAX_TEXT} characters.")
        row.profile[name] = value
    if cells["GROUPS"] and cells["GROUPS"] != DELETE_TOKEN:
        seen = set()
        for part in cells["GROUPS"].split(","):
            name = sanitize_group_name(part)
            if not name or name.lower() in seen:
                continue
            if len(name) > MAX_TEXT:
                raise ValidationError(f"The group name can have at most {MAX_TEXT} characters.")
            seen.add(name.lower())
            row.groups.append(name)
    attrs = cells["CUSTOM_ATTRIBUTES"]
    if attrs == DELETE_TOKEN:
        row.custom_attributes = None if creating else {}
    elif attrs:
        try:
            row.custom_attributes = parse_custom_attributes(attrs)
        except ValueError:
            raise ValidationError("CUSTOM_ATTRIBUTES must be an object such as "
                                  "\"{'key1':'value1','key2':'value2'}\".") from None
    return row


def parse_user_csv(text: str) -> tuple[list[ImportRow], list[dict]]:
    """Parse the decoded file. A bad header raises ValidationError; bad lines come back as errors
    ({line, email, reason}, header = line 1); blank lines are skipped; an e-mail may appear once."""
    header, lines, errors = read_lines(text)
    _check_header(header)
    rows, first_line = [], {}
    for line, values in lines:
        email = values[0].strip().lower() if values else ""
        try:
            row = _parse_row(line, values)
        except ValidationError as exc:
            errors.append({"line": line, "email": email, "reason": " ".join(exc.messages)})
            continue
        if row.email in first_line:
            errors.append({"line": line, "email": row.email,
                           "reason": f"The e-mail is already on line {first_line[row.email]}: a user can appear "
                                     "on one line of the file only."})
            continue
        first_line[row.email] = line
        rows.append(row)
    return rows, errors


# --- applying -------------------------------------------------------------------------------------------

def import_users(org: Organization, content: str | bytes, *, by: User | None = None,
                 send_password_links: bool = False, progress=None) -> ImportResult:
    """Apply a user file to `org`. A bad file raises ValidationError (nothing changes). A bad line is
    reported ({line, email, reason}) and changes nothing; good lines are applied batch by batch."""
    rows, parse_errors = parse_user_csv(decode_file(content))
    result = ImportResult(total_rows=len(rows) + len(parse_errors), errors=list(parse_errors))
    processed = len(parse_errors)
    if progress:
        progress(processed, result.total_rows)
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start:start + BATCH_SIZE]
        _apply_batch(org, batch, by=by, send_password_links=send_password_links, result=result)
        processed += len(batch)
        if progress:
            progress(processed, result.total_rows)
    result.errors.sort(key=lambda e: e["line"])
    return result


@dataclass
class _Authority:
    """What the importing administrator may not touch (the rule of the pages, docs/decisions/0004): users
    holding more account-management rights, and groups whose roles grant more. Worked out inside each batch's
    transaction, with the groups by id, so a rename or a new role during a long import changes nothing."""

    users_above: set = field(default_factory=set)
    groups_above: set = field(default_factory=set)  # group ids

    @classmethod
    def of(cls, by, org):
        if by is None:
            return cls()
        above = access.roles_above(by, org)
        condition = Q(role_assignments__role__in=above)
        if PARTNER_ADMINISTRATOR in above:
            condition |= Q(kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
        groups = Group.objects.filter(organization=org).filter(condition).values_list("pk", flat=True)
        return cls(users_above=access.users_above(by, org), groups_above=set(groups))


@transaction.atomic
def _apply_batch(org, batch, *, by, send_password_links, result) -> None:
    authority = _Authority.of(by, org)
    existing = {u.email: u for u in User.objects.filter(email__in=[r.email for r in batch])}
    named = {name.lower() for row in batch for name in row.groups or ()}
    groups = {g.lname: g for g in Group.objects.select_for_update().filter(organization=org)
              .annotate(lname=Lower("name")).filter(lname__in=list(named))} if named else {}
    new_users, new_rows, updates, update_fields, delete_ids, link_users = [], [], [], set(), [], []
    memberships = []  # (user, [group names])
    for row in batch:
        user = existing.get(row.email)
        barred = [name for name in row.groups or ()
                  if name.lower() in groups and groups[name.lower()].pk in authority.groups_above]
        if barred:
            result.error(row.line, row.email, f"You cannot add users to {', '.join(barred)}: the group grants "
                                              "rights you do not hold yourself.")
            continue
        if user is not None and user.pk in authority.users_above and row.operation != "CREATE":
            result.error(row.line, row.email, "You cannot change a user who has more rights than you.")
            continue
        if row.operation == "CREATE":
            if user is not None:
                result.error(row.line, row.email, "E-mail must be unique.")
                continue
            if not row.password and not send_password_links:
                result.error(row.line, row.email, 'PASSWORD is required unless "E-mail a link to change the '
                                                  'password" is selected.')
                continue
            user = User(email=row.email, organization=org, custom_attributes=row.custom_attributes or {},
                        **row.profile)
            if row.password:
                user.set_password(row.password)
            else:
                user.set_unusable_password()  # no hashing: a random "!" marker
                link_users.append(user)
            new_users.append(user)
            new_rows.append(row)
            if row.groups:
                memberships.append((user, row.groups))
            continue
        if user is None or user.organization_id != org.pk:
            result.error(row.line, row.email, NOT_FOUND)
            continue
        if row.operation == "DELETE":
            if by is not None and user.pk == by.pk:
                result.error(row.line, row.email, "You cannot delete your own account.")
                continue
            delete_ids.append(user.pk)
            continue
        for name, value in row.profile.items():  # UPDATE: empty = unchanged, [delete] = cleared
            if value:
                setattr(user, name, "" if value == DELETE_TOKEN else value)
                update_fields.add(name)
        if row.custom_attributes is not None:
            user.custom_attributes = row.custom_attributes
            update_fields.add("custom_attributes")
        if row.password:
            user.set_password(row.password)
            update_fields.add("password")
        updates.append(user)
        if row.groups:
            memberships.append((user, row.groups))

    if new_users:
        User.objects.bulk_create(new_users)
        if any(u.pk is None for u in new_users):  # databases that cannot return ids from a bulk insert
            ids = dict(User.objects.filter(email__in=[u.email for u in new_users]).values_list("email", "pk"))
            for u in new_users:
                u.pk = ids[u.email]
    if updates and update_fields:
        User.objects.bulk_update(updates, sorted(update_fields))
    if delete_ids:
        User.objects.filter(organization=org, pk__in=delete_ids).delete()
    if memberships:
        _add_memberships(org, memberships, groups)
    result.created += len(new_users)
    result.updated += len(updates)
    result.deleted += len(delete_ids)
    if link_users:
        ids = [u.pk for u in link_users]
        transaction.on_commit(lambda: user_services.send_password_links(ids))


def _add_memberships(org, memberships, groups) -> None:
    """Memberships in the groups checked at the start of the batch (`groups`, by lower-cased name; locked
    until the batch commits), creating the missing ones in bulk; through-model rows with ignore_conflicts:
    a constant number of queries."""
    wanted = {}
    for _, names in memberships:
        for name in names:
            wanted.setdefault(name.lower(), name)
    missing = [Group(organization=org, name=name) for key, name in wanted.items() if key not in groups]
    if missing:
        Group.objects.bulk_create(missing)
        if any(g.pk is None for g in missing):  # databases that cannot return ids from a bulk insert
            created = {g.lname: g for g in Group.objects.filter(organization=org)
                       .annotate(lname=Lower("name")).filter(lname__in=[g.name.lower() for g in missing])}
            groups = {**groups, **created}
        else:
            groups = {**groups, **{g.name.lower(): g for g in missing}}
    through = Group.members.through
    links = [through(group_id=groups[name.lower()].pk, user_id=user.pk)
             for user, names in memberships for name in names]
    through.objects.bulk_create(links, ignore_conflicts=True)


# --- background run -------------------------------------------------------------------------------------

@transaction.atomic
def start_user_import(org: Organization, uploaded_file, *, by: User | None,
                      send_password_links: bool = False) -> UserImport:
    """Check the file now (size, encoding, header: a bad file raises ValidationError and nothing is stored),
    store it and run it in the background (accounts.tasks.run_user_import)."""
    name, raw = read_upload(uploaded_file)
    text = decode_file(raw)
    rows, errors = parse_user_csv(text)
    user_import = UserImport.objects.create(
        organization=org, created_by=by, filename=name[:255], content=text,
        send_password_links=bool(send_password_links), total_rows=len(rows) + len(errors))
    from ..tasks import run_user_import

    transaction.on_commit(lambda: run_user_import.delay(user_import.pk))
    return user_import


def run_import(user_import: UserImport) -> UserImport:
    """Run a stored import: progress in processed_rows/total_rows, then the result, DONE or FAILED, and the
    import log e-mailed to the importing administrator. Runs once (a finished import is left alone)."""
    # Claim it atomically: a task delivered twice must not run the file twice.
    claimed = UserImport.objects.filter(pk=user_import.pk, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, processed_rows=0)
    if claimed != 1:
        user_import.refresh_from_db()
        return user_import
    user_import.status = ImportStatus.RUNNING
    if user_import.created_by_id is None:
        # the administrator who uploaded it is gone: nobody's rights to run it with
        user_import.status = ImportStatus.FAILED
        user_import.result = {"error": "The administrator who started this import no longer exists."}
        user_import.finished_at = timezone.now()
        user_import.save(update_fields=["status", "result", "finished_at"])
        return user_import

    def progress(processed, total):
        user_import.processed_rows, user_import.total_rows = processed, total
        UserImport.objects.filter(pk=user_import.pk).update(processed_rows=processed, total_rows=total)

    try:
        result = import_users(user_import.organization, user_import.content, by=user_import.created_by,
                              send_password_links=user_import.send_password_links, progress=progress)
    except ValidationError as exc:
        user_import.status, user_import.result = ImportStatus.FAILED, {"error": " ".join(exc.messages)}
    except Exception:
        log.exception("user import %s failed", user_import.pk)
        user_import.status = ImportStatus.FAILED
        user_import.result = {"error": "The import stopped because of an internal error. Lines already "
                                       "imported stay imported; import the remaining lines again."}
    else:
        user_import.status, user_import.result = ImportStatus.DONE, result.as_dict()
        user_import.processed_rows = result.total_rows
    user_import.finished_at = timezone.now()
    user_import.save(update_fields=["status", "result", "processed_rows", "total_rows", "finished_at"])
    send_import_log(user_import)
    return user_import


def render_import_log(user_import: UserImport | None = None, *, result: dict | None = None,
                      organization=None, filename: str = "") -> str:
    if user_import is not None:
        result, organization, filename = user_import.result, user_import.organization, user_import.filename
    return render_to_string("accounts/email/import_log.txt", {
        "import": user_import, "result": result or {}, "organization": organization, "filename": filename,
        "failed": bool((result or {}).get("error")),
    })


def send_import_log(user_import: UserImport) -> bool:
    """"The import log is sent to your email address." """
    recipient = user_import.created_by
    if recipient is None or not recipient.email:
        return False
    subject = render_to_string("accounts/email/import_log_subject.txt", {"import": user_import}).strip()
    EmailMessage(subject=subject, body=render_import_log(user_import), to=[recipient.email]).send()
    return True
