"""Release at the printer (printmgmt.services.release, /api/device/v1/print/): the release list (own and
delegated jobs, oldest first), release of selected or all jobs, copies and print and keep when allowed,
delete, automatic release, the document only while releasing and only for the releasing printer, the outcome
(printed closes the job with history and quota usage; cancelled or failed leave it held), print policies and
quotas at release, stale releases back to held, and organization scoping (a printer of another organization
gets 404)."""
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services.device_sessions import issue_session
from fleet.models import Printer
from printmgmt.choices import HistoryResult, JobState
from printmgmt.models import PrintJob, PrintJobHistory
from printmgmt.services import policies, quotas
from printmgmt.services import release as release_services
from printmgmt.services.delegates import add_delegate
from printmgmt.services.org_settings import update_settings
from printmgmt.services.release import PrinterReport, ReleaseError
from printmgmt.services.retention import purge
from tests.accounts.test_device_api_fixtures import access_token, printer_of
from tests.conftest import make_user

from .documents import pdf_bytes, upload


class Device:
    """A printer's Print Release app talking to the API: its application token, and a user's session."""

    def __init__(self, client, org, name="Lobby printer"):
        self.client, self.org = client, org
        self.app = printer_of(org, name)
        self.token = access_token(self.app)
        self.session = ""

    def login(self, user, method="pin"):
        self.session = issue_session(user, self.app, method)[0]
        return self

    def headers(self, session=True):
        headers = {"Authorization": f"Bearer {self.token}"}
        if session and self.session:
            headers["X-Session-Token"] = self.session
        return headers

    def get(self, name, *args, session=True, **query):
        return self.client.get(reverse(f"device-print:{name}", args=args), query, headers=self.headers(session))

    def post(self, name, body=None, *args, session=True):
        return self.client.post(reverse(f"device-print:{name}", args=args), body or {},
                                content_type="application/json", headers=self.headers(session))

    def jobs(self, **query):
        response = self.get("jobs", **query)
        assert response.status_code == 200, response.content
        return response.json()

    def release(self, **body):
        body.setdefault("printer_serial", "REL-1")
        response = self.post("release", body)
        assert response.status_code == 200, response.content
        return response.json()

    def outcome(self, job_id, **body):
        return self.post("job-outcome", body, job_id, session=False)


@pytest.fixture
def lobby(acme):
    return Printer.objects.create(organization=acme, serial="REL-1", ip_address="127.0.1.20", model_name="CX943")


@pytest.fixture
def device(client, acme, lobby):
    return Device(client, acme)


@pytest.fixture
def held(acme, submit):
    """Held jobs of a user, submitted `minutes_ago` apart (oldest first in the returned list)."""

    def make(user, count=1, *, pages=2, color=False, source="email", org=None, **settings):
        jobs = []
        for i in range(count):
            job = submit(org or acme, user, upload(f"doc{i}.pdf", pdf_bytes(pages, color=color)), source=source,
                         settings=settings or None)
            PrintJob.objects.filter(pk=job.pk).update(submitted_at=timezone.now() - timedelta(minutes=count - i))
            job.refresh_from_db()
            assert job.state == JobState.HELD, job.failure_reason
            jobs.append(job)
        return jobs

    return make


def _ids(items):
    return [item["id"] for item in items]


# --- the list ---------------------------------------------------------------------------------------------------

def test_the_list_has_own_and_delegated_jobs_newest_first_unless_oldest_first(acme, pam, dan, device, held):
    update_settings(acme, delegation=True)
    add_delegate(pam, dan)
    pams = held(pam, 2)
    dans = held(dan, 1)
    body = device.login(dan).jobs()
    assert _ids(body["jobs"]) == [dans[0].pk, pams[1].pk, pams[0].pk]
    assert [job["delegated"] for job in body["jobs"]] == [False, True, True]
    first = body["jobs"][1]
    assert first["owner"]["email"] == "pam@acme.test" and first["pages"] == 2 and first["copies"] == 1
    assert body["options"] == {"change_copies": False, "print_and_keep": False, "automatic_release": False,
                               "oldest_first": False, "delegation": True}

    update_settings(acme, oldest_first=True)
    assert _ids(device.jobs()["jobs"]) == [pams[0].pk, pams[1].pk, dans[0].pk]
    # Cloud Print Release does not support delegated jobs
    assert _ids(device.jobs(app="cloud_print_release")["jobs"]) == [dans[0].pk]


def test_the_list_needs_a_session_and_a_print_role(acme, pam, device, held):
    held(pam)
    assert device.get("jobs").json()["error"] == "invalid_session"
    outsider = make_user(acme, "nobody@acme.test")
    assert device.login(outsider).jobs()["jobs"] == []


# --- releasing --------------------------------------------------------------------------------------------------

def test_release_selected_jobs_then_print_closes_the_job_with_history_and_quota(acme, pam, device, held, lobby,
                                                                               client,
                                                                               django_capture_on_commit_callbacks):
    first, second = held(pam, 2, pages=3, color=True)
    body = device.login(pam).release(job_ids=[first.pk])
    assert body["refused"] == [] and _ids(body["released"]) == [first.pk]
    released = body["released"][0]
    assert released["settings"]["copies"] == 1 and released["settings"]["impressions"] == 3
    assert released["settings"]["color_mode"] == "color" and released["settings"]["color"] is True
    first.refresh_from_db()
    assert (first.state, first.release_by, first.release_printer) == (JobState.RELEASING, pam, lobby)
    # no longer listed; the second job still is
    assert _ids(device.jobs()["jobs"]) == [second.pk]

    document = client.get(released["document_url"], headers=device.headers(session=False))
    assert document.status_code == 200 and document["Content-Type"] == "application/pdf"
    assert b"".join(document.streaming_content).startswith(b"%PDF")

    with django_capture_on_commit_callbacks(execute=True):
        answer = device.outcome(first.pk, result="printed", pages=3, sheets=3, color=True, duplex=False,
                                paper_size="Letter")
    assert answer.json() == {"id": first.pk, "result": "printed", "in_queue": False, "state": "printed"}
    assert not PrintJob.objects.filter(pk=first.pk).exists()
    row = PrintJobHistory.objects.get(job_id=first.pk)
    assert (row.result, row.impressions, row.sheets, row.color, row.paper_size, row.printer_serial) == \
        (HistoryResult.PRINTED, 3, 3, True, "Letter", "REL-1")
    assert PrintJobHistory.objects.filter(job_id=first.pk).count() == 1   # one row, not "printed" + "deleted"
    usage = quotas.allowance(pam, acme)
    assert (usage.total_used, usage.color_used) == (3, 3)
    # reported once: a second report finds nothing releasing
    assert device.outcome(first.pk, result="printed").status_code == 404


def test_release_all_and_refusals_per_job(acme, pam, dan, device, held):
    mine = held(pam, 2)
    dans = held(dan, 1)[0]
    converting = held(pam, 1)[0]
    PrintJob.objects.filter(pk=converting.pk).update(state=JobState.CONVERTING)
    body = device.login(pam).release(job_ids=[mine[0].pk, dans.pk, converting.pk, 2**31 - 1])
    assert _ids(body["released"]) == [mine[0].pk]
    assert [(r["id"], r["error"]) for r in body["refused"]] == [
        (dans.pk, "not_found"), (converting.pk, "not_ready"), (2**31 - 1, "not_found")]
    again = device.release(job_ids=[mine[0].pk])
    assert again["refused"][0]["error"] == "releasing"

    rest = device.release(all=True)
    assert _ids(rest["released"]) == [mine[1].pk] and rest["refused"] == []
    assert device.post("release", {"job_ids": [mine[1].pk], "all": True}).status_code == 400
    assert device.post("release", {}).status_code == 400


def test_cancelled_or_failed_releases_leave_the_job_held(acme, pam, device, held):
    job = held(pam)[0]
    device.login(pam)
    for result in ("cancelled", "failed"):
        device.release(job_ids=[job.pk])
        answer = device.outcome(job.pk, result=result)
        assert answer.json()["in_queue"] is True
        job.refresh_from_db()
        assert (job.state, job.release_settings, job.release_by) == (JobState.HELD, {}, None)
    assert list(PrintJobHistory.objects.filter(job_id=job.pk).order_by("id").values_list("result", "impressions")) \
        == [("cancelled", 0), ("failed", 0)]
    assert quotas.allowance(pam, acme).total_used == 0
    assert device.outcome(job.pk, result="printed").status_code == 404   # not releasing any more
    assert device.release(job_ids=[job.pk])["released"]


def test_color_and_sides_change_for_the_release_only_and_never_mono_to_color(acme, pam, device, held):
    """The Print Release app's Change Print Settings > Color and Sides ("You cannot change black-and-white print
    jobs to color at the printer")."""
    color, mono = held(pam, pages=3, color=True)[0], held(pam, pages=1, color_mode="mono")[0]
    device.login(pam)
    body = device.release(job_ids=[color.pk], color_mode="mono", two_sided="long_edge")
    settings = body["released"][0]["settings"]
    assert (settings["color_mode"], settings["two_sided"], settings["color"]) == ("mono", "long_edge", False)
    color.refresh_from_db()
    assert (color.color_mode, color.two_sided) == ("color", "printer")      # the job keeps its own settings
    refused = device.release(job_ids=[mono.pk], color_mode="color")["refused"]
    assert [(r["id"], r["error"]) for r in refused] == [(mono.pk, "color_change")]
    assert device.post("release", {"all": True, "app": "cloud_print_release", "two_sided": "off"}).status_code == 400


def test_copies_only_when_the_organization_allows_it(acme, pam, device, held):
    job = held(pam, pages=2)[0]
    device.login(pam)
    refused = device.post("release", {"job_ids": [job.pk], "copies": 3})
    assert refused.status_code == 403 and refused.json()["error"] == "copies_not_allowed"
    job.refresh_from_db()
    assert job.state == JobState.HELD
    update_settings(acme, change_copies_before_release=True)
    assert device.post("release", {"job_ids": [job.pk], "copies": 0}).status_code == 400
    body = device.release(job_ids=[job.pk], copies=3)
    assert body["released"][0]["settings"]["copies"] == 3
    assert body["released"][0]["settings"]["impressions"] == 6
    device.outcome(job.pk, result="printed")   # the printer reports no numbers: the release's are used
    row = PrintJobHistory.objects.get(job_id=job.pk)
    assert (row.copies, row.impressions, row.sheets) == (3, 6, 6)


def test_print_and_keep(acme, pam, device, held):
    job = held(pam)[0]
    device.login(pam)
    assert device.post("release", {"job_ids": [job.pk], "keep": True}).json()["error"] == "keep_not_allowed"
    update_settings(acme, print_and_keep=True)
    for count in (1, 2):
        device.release(job_ids=[job.pk], keep=True)
        assert device.outcome(job.pk, result="printed").json() == {"id": job.pk, "result": "printed",
                                                                   "in_queue": True, "state": "held"}
        job.refresh_from_db()
        assert (job.state, job.release_count) == (JobState.HELD, count)
    assert PrintJobHistory.objects.filter(job_id=job.pk, result="printed").count() == 2
    assert quotas.allowance(pam, acme).total_used == 4


def test_a_delegate_releases_the_delegators_job_charged_to_the_owner(acme, pam, dan, device, held):
    update_settings(acme, delegation=True)
    add_delegate(pam, dan)
    job = held(pam, pages=4)[0]
    device.login(dan).release(job_ids=[job.pk])
    device.outcome(job.pk, result="printed")
    row = PrintJobHistory.objects.get(job_id=job.pk)
    assert (row.owner, row.released_by_email) == (pam, "dan@acme.test")
    assert quotas.allowance(pam, acme).total_used == 4 and quotas.allowance(dan, acme).total_used == 0
    # delegates see and release, but do not delete
    other = held(pam)[0]
    assert device.post("job-delete", {}, other.pk).json()["error"] == "not_owner"


def test_cloud_print_release_releases_all_and_no_delegated_jobs(acme, pam, dan, device, held):
    update_settings(acme, delegation=True)
    add_delegate(pam, dan)
    pams, dans = held(pam)[0], held(dan)[0]
    device.login(dan)
    assert device.post("release", {"job_ids": [dans.pk], "app": "cloud_print_release"}).status_code == 400
    body = device.release(all=True, app="cloud_print_release")
    assert _ids(body["released"]) == [dans.pk]
    pams.refresh_from_db()
    assert pams.state == JobState.HELD
    # "Users can use Cloud Print Release using a PIN or secure login code only"
    device.login(pam, method="badge")
    for response in (device.get("jobs", app="cloud_print_release"),
                     device.post("release", {"all": True, "app": "cloud_print_release"})):
        assert (response.status_code, response.json()["error"]) == (403, "method_not_allowed")
    device.login(pam, method="code")
    assert _ids(device.release(all=True, app="cloud_print_release")["released"]) == [pams.pk]


def test_delete_at_the_printer(acme, pam, device, held, django_capture_on_commit_callbacks):
    job, busy = held(pam, 2)
    device.login(pam).release(job_ids=[busy.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert device.post("job-delete", {}, job.pk).status_code == 204
    assert not PrintJob.objects.filter(pk=job.pk).exists()
    assert PrintJobHistory.objects.get(job_id=job.pk).result == HistoryResult.DELETED
    assert device.post("job-delete", {}, job.pk).status_code == 404
    assert device.post("job-delete", {}, busy.pk).status_code == 409


def test_automatic_release_releases_only_the_users_own_jobs_oldest_first(acme, pam, dan, device, held):
    update_settings(acme, delegation=True, oldest_first=True)
    add_delegate(pam, dan)
    held(pam)
    dans = held(dan, 2)
    device.login(dan)
    off = device.post("auto-release", {"printer_serial": "REL-1"})
    assert off.status_code == 403 and off.json()["error"] == "automatic_release_off"
    update_settings(acme, automatic_release=True)
    body = device.post("auto-release", {"printer_serial": "REL-1"}).json()
    assert _ids(body["released"]) == [dans[0].pk, dans[1].pk]
    assert PrintJob.objects.filter(owner=pam, state=JobState.HELD).count() == 1


# --- the document and the outcome belong to the releasing printer ----------------------------------------------

def test_the_document_only_while_releasing_and_only_for_the_releasing_printer(acme, globex, pam, device, held,
                                                                               client):
    job = held(pam)[0]
    assert device.get("job-document", job.pk, session=False).status_code == 404   # held, not releasing
    device.login(pam).release(job_ids=[job.pk])
    other = Device(client, acme, "Second floor")
    assert other.get("job-document", job.pk, session=False).status_code == 404
    assert other.outcome(job.pk, result="printed").status_code == 404
    foreign = Device(client, globex, "Globex printer")
    assert foreign.get("job-document", job.pk, session=False).status_code == 404
    assert foreign.outcome(job.pk, result="printed").status_code == 404
    assert device.get("job-document", job.pk, session=False).status_code == 200


def test_a_printer_of_another_organization_never_sees_or_releases_a_job(acme, globex, pam, device, held, client):
    job = held(pam)[0]
    foreign = Device(client, globex, "Globex printer")
    namesake = make_user(globex, "pam@globex.test", ["print_release_management_user"])
    foreign.login(namesake)
    assert foreign.jobs()["jobs"] == []
    body = foreign.release(job_ids=[job.pk])
    assert body["released"] == [] and body["refused"][0]["error"] == "not_found"
    assert foreign.post("job-delete", {}, job.pk).status_code == 404
    # a session of an acme user is refused by globex's printer
    foreign.session = issue_session(pam, device.app)[0]
    assert foreign.get("jobs").status_code == 401
    job.refresh_from_db()
    assert job.state == JobState.HELD


def test_an_unknown_printer_serial_still_releases(acme, pam, device, held):
    job = held(pam)[0]
    device.login(pam).release(job_ids=[job.pk], printer_serial="NOT-ENROLLED")
    device.outcome(job.pk, result="printed")
    row = PrintJobHistory.objects.get(job_id=job.pk)
    assert (row.printer, row.printer_serial) == (None, "")


def test_a_stale_release_goes_back_to_held_in_the_purge(acme, pam, device, held):
    job = held(pam)[0]
    device.login(pam).release(job_ids=[job.pk])
    assert purge()["releases"] == 0
    PrintJob.objects.filter(pk=job.pk).update(
        release_started_at=timezone.now() - release_services.RELEASE_TIMEOUT - timedelta(seconds=1))
    assert purge()["releases"] == 1
    job.refresh_from_db()
    assert (job.state, job.release_settings) == (JobState.HELD, {})
    # the attempt is in the history, charging nothing; the late report is refused
    row = PrintJobHistory.objects.get(job_id=job.pk)
    assert (row.result, row.impressions, row.sheets, row.released_by) == ("failed", 0, 0, None)
    assert device.outcome(job.pk, result="printed").status_code == 404


def test_bad_outcomes_are_refused(acme, pam, device, held):
    job = held(pam)[0]
    device.login(pam).release(job_ids=[job.pk])
    assert device.outcome(job.pk, result="exploded").status_code == 400
    assert device.outcome(job.pk, result="printed", pages=-1).status_code == 400
    with pytest.raises(ReleaseError):
        release_services.report_outcome(acme, device.app, job.pk, PrinterReport(result="deleted"))
    job.refresh_from_db()
    assert job.state == JobState.RELEASING


# --- print policies and quotas at release ------------------------------------------------------------------------

def test_a_policy_outside_its_hours_refuses_and_forced_mono_applies(acme, pam, device, held):
    update_settings(acme, policies_enabled=True)
    policy = policies.default_policy(acme)
    policies.update_policy(policy, name=policy.name, force_mono=True, limit_times=True, days="weekdays",
                           start="08:00", end="17:00")
    job = held(pam, pages=2, color=True)[0]
    device.login(pam)
    saturday = datetime(2025, 3, 8, 10, 0).isoformat()
    night = device.release(job_ids=[job.pk], local_time=saturday)
    assert night["released"] == [] and night["refused"][0]["error"] == "policy"
    assert "not allowed" in night["refused"][0]["detail"]
    monday = datetime(2025, 3, 3, 10, 0).isoformat()
    day = device.release(job_ids=[job.pk], local_time=monday)["released"][0]["settings"]
    assert (day["color_mode"], day["policy_changed"], day["color"]) == ("mono", ["color_mode"], False)
    assert device.post("release", {"all": True, "local_time": "tomorrow"}).status_code == 400


def test_the_owners_quota_refuses_per_job_counting_releases_in_flight(acme, pam, device, held):
    update_settings(acme, quotas_enabled=True)
    small = quotas.create_definition(acme, "Small", limits={0: {"total": "custom", "total_limit": 5,
                                                                "color": "custom", "color_limit": 2}})
    quotas.assign_quota(acme, "personal", pam.email, small)
    color = held(pam, pages=3, color=True)[0]
    first, second = held(pam, 2, pages=3)
    device.login(pam)
    body = device.release(job_ids=[color.pk, first.pk, second.pk])
    assert _ids(body["released"]) == [first.pk]
    assert [(r["id"], r["error"]) for r in body["refused"]] == [(color.pk, "color_quota_exceeded"),
                                                                (second.pk, "quota_exceeded")]
    assert "being printed" in body["refused"][1]["detail"]
    device.outcome(first.pk, result="printed")
    assert quotas.allowance(pam, acme).total_remaining == 2
    update_settings(acme, quotas_enabled=True)
    disabled = quotas.create_definition(acme, "None", limits={0: {"total": "disabled"}})
    quotas.assign_quota(acme, "personal", pam.email, disabled)
    assert device.release(job_ids=[second.pk])["refused"][0]["error"] == "printing_disabled"
