"""Print Management in a real browser: an administrator saves Organizational Settings (delegation, e-mail
submission), uploads a PDF through the Upload File dialog and sees it held with its page count, changes its
copies, deletes it; then adds a delegate with an expiry and removes it."""
import pytest

from printmgmt.models import Delegate, PrintJob
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in
from tests.printmgmt.documents import pdf_bytes

pytestmark = pytest.mark.e2e


def test_settings_upload_copies_delete_and_delegates(page, acme, tmp_path, settings):
    settings.PRINT_EMAIL_DOMAIN = "example.org"
    make_user(acme, "ada@acme.test", ["print_release_management_administrator"], first_name="Ada")
    make_user(acme, "dan@acme.test", ["print_release_management_user"], first_name="Dan")
    document = tmp_path / "three-pages.pdf"
    document.write_bytes(pdf_bytes(3))
    sign_in(page, "ada@acme.test", PASSWORD)

    # Administration > Organizational Settings: delegation and e-mail submission, dependent options appear
    page.goto(f"/o/{acme.pk}/print/")
    page.click("[data-testid=nav-administration]")
    page.click("[data-testid=nav-settings]")
    assert not page.locator("#id_delegate_email_notification").is_visible()
    page.check("#id_delegation")
    assert page.locator("#id_delegate_email_notification").is_visible()
    page.check("#id_email_submission")
    page.fill("#id_email_username", "acme-floor2")
    page.fill("#id_retention_value", "2")
    page.click("[data-testid=settings-save]")
    page.wait_for_selector("text=Organizational settings saved.")
    assert page.locator("[data-testid=settings-email-address]").inner_text() == "acme-floor2@print.example.org"

    # Print Queue: the banner, Upload File > Choose Files > Done
    page.click("[data-testid=nav-queue]")
    assert page.locator("[data-testid=email-address]").inner_text() == "acme-floor2@print.example.org"
    page.click("[data-testid=upload-open]")
    page.set_input_files("[data-testid=upload-input]", str(document))
    assert "three-pages.pdf" in page.locator("[data-dropzone-files]").inner_text()
    page.click("[data-testid=upload-done]")
    page.wait_for_selector("text=1 file uploaded.")
    row = page.locator("[data-testid=job-row]")
    row.locator("[data-testid=job-state]:has-text('Ready to print')").wait_for()
    assert row.locator("[data-testid=job-pages]").inner_text() == "3"
    assert row.locator("[data-testid=job-color]").inner_text() == "Mono"

    # click the job: copies > Save Changes
    row.locator("[data-testid=job-title]").click()
    page.fill("#id_copies", "4")
    page.click("[data-testid=job-save]")
    page.wait_for_selector("text=Print settings of “three-pages.pdf” saved.")
    assert page.locator("[data-testid=job-row] [data-testid=job-copies]").inner_text() == "4"
    assert PrintJob.objects.get().copies == 4

    # select > Delete > confirm
    page.check("[data-testid=job-row] input[name=job]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=jobs-delete]")
    page.wait_for_selector("text=1 print job deleted.")
    assert page.locator("[data-testid=queue-empty]").is_visible()
    assert not PrintJob.objects.exists()

    # Delegates: Add > user, Expires after 3 days > Add Delegate; then Remove
    page.click("[data-testid=nav-delegates]")
    page.click("[data-testid=delegate-add-open]")
    page.fill("#id_email", "dan@acme.test")
    page.check("input[name=expiry][value=after]")
    page.fill("#id_days", "3")
    page.click("[data-testid=delegate-add]")
    page.wait_for_selector("text=dan@acme.test added as a delegate.")
    assert page.locator("[data-testid=delegate-email]").inner_text() == "dan@acme.test"
    assert page.locator("[data-testid=delegate-expires]").inner_text() != "Never expires"
    page.check("[data-testid=delegate-row] input[name=delegate]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=delegates-remove]")
    page.wait_for_selector("text=1 delegate removed.")
    assert page.locator("[data-testid=delegates-empty]").is_visible()
    assert not Delegate.objects.exists()
