"""Office formats, text and HTML through LibreOffice headless (skipped without it, naming the Debian packages).
One conversion per format, shared by the module's tests: LibreOffice takes seconds per document."""
import pytest

from printmgmt.choices import JobState

from .documents import docx_bytes, needs_soffice, text_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def converted(django_db_setup, django_db_blocker, tmp_path_factory):
    """Each document submitted and converted once: {name: job}."""
    needs_soffice()
    from django.conf import settings
    from django.db import transaction

    from printmgmt.services.conversion import convert
    from tests.conftest import make_user

    media = tmp_path_factory.mktemp("media")
    old_media, settings.MEDIA_ROOT = settings.MEDIA_ROOT, str(media)
    documents = {
        "notes.txt": text_bytes(80),        # 80 lines: two pages
        "letter.docx": docx_bytes(pages=3),
        "table.csv": b"name,amount\nalpha,1\nbeta,2\n",
        "page.html": (b"<!DOCTYPE html><html><body><h1 style='color:#d00000'>Red title</h1>"
                      b"<img src='http://192.0.2.1/track.png'><script>alert(1)</script><p>Body</p></body></html>"),
        "damaged.docx": docx_bytes()[:200],   # a truncated ZIP: still sniffed as a package, unreadable
    }
    results = {}
    with django_db_blocker.unblock():
        from accounts.choices import OrganizationKind, Service
        from accounts.services.organizations import create_organization
        from printmgmt.models import PrintJob
        from printmgmt.services.submission import check_file

        org = create_organization("Office Docs Inc", kind=OrganizationKind.CUSTOMER, entitlements=list(Service.values))
        user = make_user(org, "office@docs.test", ["print_release_management_user"])
        for name, content in documents.items():
            with transaction.atomic():
                file = upload(name, content)
                try:
                    fmt = check_file(file, name)
                except Exception as error:  # the damaged DOCX may be refused at the door
                    results[name] = error
                    continue
                job = PrintJob(organization=org, owner=user, title=name, file_name=name, format=fmt, size=file.size,
                               state=JobState.CONVERTING, expires_at="2999-01-01T00:00Z")
                job.original.save(name, file, save=False)
                job.save()
            results[name] = convert(PrintJob.objects.select_related("organization").get(pk=job.pk))
            if results[name].document:
                with results[name].document.open("rb") as handle:
                    results[name].head = handle.read(5)
        yield results
        for value in results.values():
            if isinstance(value, PrintJob):
                value.delete()
        user.delete()
        org.delete()
    settings.MEDIA_ROOT = old_media


def test_a_text_file_is_rendered_with_its_pages(converted):
    job = converted["notes.txt"]
    assert (job.state, job.pages, job.color) == (JobState.HELD, 2, False)


def test_a_docx_is_rendered_by_libreoffice_with_its_pages(converted):
    job = converted["letter.docx"]
    assert (job.state, job.pages, job.color) == (JobState.HELD, 3, False)
    assert job.head == b"%PDF-"


def test_a_csv_is_rendered_as_a_table(converted):
    job = converted["table.csv"]
    assert (job.state, job.pages) == (JobState.HELD, 1)


def test_html_is_rendered_without_remote_references_and_its_color_seen(converted):
    job = converted["page.html"]
    assert (job.state, job.pages, job.color) == (JobState.HELD, 1, True)


def test_a_damaged_office_document_fails_with_a_reason(converted):
    result = converted["damaged.docx"]
    if isinstance(result, Exception):
        assert "not a Word document" in str(result)
    else:
        assert result.state == JobState.FAILED
        assert "could not be converted" in result.failure_reason
