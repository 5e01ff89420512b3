"""Import users from a CSV/TXT file synchronously (the same rules as the Import Users page)."""
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.management.helpers import find_organization
from accounts.models import User
from accounts.services import imports as import_services


class Command(BaseCommand):
    help = ("Import users from a CSV/TXT file (header " + import_services.HEADER_LINE + "). "
            "Exit status 1 when the file is rejected; rejected lines are listed with their line numbers.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="organization ID or name")
        parser.add_argument("--send-password-links", action="store_true",
                            help='"E-mail a link to change the password" for CREATE lines without PASSWORD')
        parser.add_argument("--as", dest="as_email", help="e-mail of the importing administrator (a user cannot "
                                                          "delete their own account)")

    def handle(self, file, org, send_password_links, as_email, **options):
        organization = find_organization(org)
        by = None
        if as_email:
            by = User.objects.filter(email__iexact=as_email.strip()).first()
            if by is None:
                raise CommandError(f"No user {as_email!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file!r}.")

        def progress(processed, total):
            if total:
                self.stdout.write(f"Imported {processed}/{total} rows ({int(100 * processed / total)}%)")

        try:
            result = import_services.import_users(organization, path.read_bytes(), by=by,
                                                  send_password_links=send_password_links, progress=progress)
        except ValidationError as exc:
            raise CommandError(f"{path.name} rejected: {' '.join(exc.messages)}") from None
        self.stdout.write(import_services.render_import_log(result=result.as_dict(), organization=organization,
                                                            filename=path.name).strip())
        style = self.style.WARNING if result.errors else self.style.SUCCESS
        self.stdout.write(style(f"{result.created} created, {result.updated} updated, {result.deleted} deleted, "
                                f"{len(result.errors)} line(s) rejected."))
