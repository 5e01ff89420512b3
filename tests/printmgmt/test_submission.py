"""submit_job: checks before anything is stored, the stored original in the organization's folder, the job
converting then held (or failed with a reason) with its page count and color use."""
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from printmgmt.choices import JobState
from printmgmt.models import PrintJob
from printmgmt.services.print_settings import set_default_settings
from printmgmt.services.submission import submit_job

from .documents import image_bytes, pdf_bytes, upload


def test_a_mono_pdf_is_held_with_its_pages_and_no_color(acme, pam, submit):
    job = submit(acme, pam, upload("report.pdf", pdf_bytes(3)))
    assert (job.state, job.pages, job.color, job.format) == (JobState.HELD, 3, False, "pdf")
    assert job.document_paper_size == "Letter"
    assert job.title == "report.pdf" and job.file_name == "report.pdf" and job.source == "web"
    assert job.document.read().startswith(b"%PDF")


def test_a_pdf_with_one_color_page_is_color(acme, pam, submit):
    job = submit(acme, pam, upload("flyer.pdf", pdf_bytes(2, color=True)))
    assert (job.state, job.pages, job.color) == (JobState.HELD, 2, True)


@pytest.mark.parametrize("name,kind,color", [("photo.jpg", "JPEG", True), ("logo.gif", "GIF", True),
                                             ("scan.tiff", "TIFF", False)])
def test_images_become_one_page_pdfs(acme, pam, submit, name, kind, color):
    job = submit(acme, pam, upload(name, image_bytes(kind, color=color)))
    assert (job.state, job.pages, job.color) == (JobState.HELD, 1, color)
    assert job.document_paper_size == "Letter"   # fitted into the region's paper (acme: us)


def test_the_original_is_stored_in_the_organizations_folder_under_a_name_we_made(acme, pam, submit, settings):
    job = submit(acme, pam, upload("../../etc/passwd.pdf", pdf_bytes()))
    assert job.file_name == "passwd.pdf"
    assert job.original.name.startswith(f"print/{acme.pk}/") and "passwd" not in job.original.name
    assert Path(settings.MEDIA_ROOT, job.original.name).is_file()
    assert job.document.name.startswith(f"print/{acme.pk}/")


def test_a_file_whose_extension_lies_is_refused_and_nothing_is_stored(acme, pam, settings):
    with pytest.raises(ValidationError, match="is not a PDF document: its content is a JPG image"):
        submit_job(acme, pam, upload("invoice.pdf", image_bytes("JPEG")), source="web")
    assert not PrintJob.objects.exists()
    assert not Path(settings.MEDIA_ROOT, "print").exists()


def test_the_size_limit_is_configurable(acme, pam, settings):
    settings.PRINT_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as error:
        submit_job(acme, pam, upload("big.pdf", pdf_bytes()), source="web")
    assert error.value.messages == ["“big.pdf” is 1 KB: documents larger than 1 KB cannot be printed."] or \
        "documents larger than 1 KB cannot be printed" in error.value.messages[0]


def test_an_empty_file_is_refused(acme, pam):
    with pytest.raises(ValidationError, match="is empty"):
        submit_job(acme, pam, upload("empty.txt", b""), source="web")


def test_a_user_of_another_organization_cannot_own_the_job(acme, globex, pam):
    with pytest.raises(ValidationError, match="active user of the organization"):
        submit_job(globex, pam, upload("a.pdf", pdf_bytes()), source="web")


def test_default_print_settings_apply_and_the_submission_can_override_them(acme, pam, submit):
    set_default_settings(pam, {"copies": 3, "two_sided": "long_edge", "color_mode": "mono"})
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()), settings={"copies": 2})
    assert (job.copies, job.two_sided, job.color_mode) == (2, "long_edge", "mono")


def test_unknown_or_invalid_print_settings_are_refused(acme, pam):
    with pytest.raises(ValidationError) as error:
        submit_job(acme, pam, upload("a.pdf", pdf_bytes()), source="web",
                   settings={"copies": 0, "staple": "everywhere", "toner": "max"})
    assert set(error.value.message_dict) == {"copies", "staple", "toner"}


def test_a_damaged_pdf_fails_with_a_reason_for_the_user(acme, pam, submit):
    job = submit(acme, pam, upload("broken.pdf", b"%PDF-1.7\n" + b"garbage " * 50))
    assert job.state == JobState.FAILED
    assert job.failure_reason.startswith("The PDF could not be read")
    assert not job.document


def test_a_password_protected_pdf_fails_with_a_reason(acme, pam, submit):
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    job = submit(acme, pam, upload("locked.pdf", out.getvalue()))
    assert job.state == JobState.FAILED
    assert job.failure_reason == "The PDF is password-protected: remove the password and submit it again."


def test_a_job_is_converting_until_the_transaction_commits(acme, pam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = submit_job(acme, pam, upload("a.pdf", pdf_bytes()), source="web")
    assert job.state == JobState.CONVERTING and len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.state == JobState.HELD


def test_conversion_of_a_job_deleted_meanwhile_does_nothing(acme, pam, django_capture_on_commit_callbacks):
    from printmgmt.tasks import convert_job

    with django_capture_on_commit_callbacks(execute=False):
        job = submit_job(acme, pam, upload("a.pdf", pdf_bytes()), source="web")
    job.delete()
    assert convert_job(job.pk) is None


def test_the_job_expires_after_the_organizations_retention(acme, pam, submit):
    from printmgmt.services.org_settings import update_settings

    update_settings(acme, retention_value=6, retention_unit="hours")
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    assert (job.expires_at - job.submitted_at).total_seconds() == 6 * 3600
