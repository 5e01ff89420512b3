"""Print release at the printer (issue 7, "Measure"): 10,000 held jobs across 1,000 users (10 each, stored
documents, badges), read through the device API as a Print Release app does:

- badge to job list: POST authenticate (badge), then GET print/jobs with the session token;
- release to document: POST print/release of one job, then GET its document (the PDF bytes).

Each flow is two requests. Its median time is compared with two requests to a trivial endpoint authenticated
with the same application token (bench/urls.py), measured in the same run, interleaved in three rounds.
Goal: <= 3 for both. Query counts are printed per request. Each released job is then reported printed, so
the history and the quota bookkeeping run as they do at a printer (not timed)."""
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup, table  # noqa: E402

USERS = int(os.environ.get("BENCH_RELEASE_USERS", "1000"))   # smaller for a smoke run
JOBS_PER_USER = 10
REQUESTS = 40
GOAL = 3.0


def build(org):
    """USERS users with a badge each and JOBS_PER_USER held jobs each, documents on storage."""
    import secrets
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from accounts.models import Badge, User
    from accounts.services import roles as role_services
    from printmgmt.choices import JobSource, JobState
    from printmgmt.models import PrintJob
    from tests.printmgmt.documents import pdf_bytes

    users = []
    for i in range(USERS):
        user = User(email=f"user{i:04d}@bench.test", organization=org, first_name=f"First{i}", last_name=f"Last{i}",
                    department=f"D{i % 5}", cost_center=f"CC{i % 7}")
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=1000)
    users = list(User.objects.filter(organization=org, email__startswith="user").order_by("pk"))
    for user in users:
        role_services.assign_user_roles(user, ["print_release_management_user"])
    now = timezone.now()
    Badge.objects.bulk_create([Badge(organization=org, user=user, badge_id=f"b{i:06d}", registered_at=now)
                               for i, user in enumerate(users)], batch_size=1000)
    document = pdf_bytes(2)
    jobs = []
    for u, user in enumerate(users):
        for j in range(JOBS_PER_USER):
            name = default_storage.save(f"print/{org.pk}/bench/{secrets.token_hex(8)}.pdf", ContentFile(document))
            jobs.append(PrintJob(organization=org, owner=user, source=JobSource.WEB, title=f"Report {u}-{j}.pdf",
                                 file_name=f"Report {u}-{j}.pdf", format="pdf", size=len(document), original=name,
                                 document=name, state=JobState.HELD, pages=2, color=False,
                                 submitted_at=now - timedelta(minutes=j), converted_at=now,
                                 expires_at=now + timedelta(days=1)))
    PrintJob.objects.bulk_create(jobs, batch_size=1000)
    return users


def main():
    setup("bench_print_release", urlconf="bench.urls")
    import secrets
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    from accounts.choices import ApplicationKind
    from accounts.services import applications, printer_login
    from accounts.services.organizations import create_organization
    from printmgmt.services.org_settings import update_settings
    from tests.conftest import ALL_SERVICES

    org = create_organization("Bench Release", entitlements=ALL_SERVICES)
    printer_login.update_configuration(org, badge=True)
    update_settings(org, quotas_enabled=True, policies_enabled=True)   # both checked on every release
    started = time.perf_counter()
    build(org)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"[bench_print_release] {USERS:,} users and {USERS * JOBS_PER_USER:,} held jobs written in "
          f"{time.perf_counter() - started:.1f}s")

    app, _secret = applications.create_application(org, "Bench printer", kind=ApplicationKind.DEVICE)
    token = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(application=app, token=token, scope="device",
                                            expires=timezone.now() + timedelta(hours=2))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    rng = random.Random(7)
    released = []

    def post(url, body, **headers):
        return client.post(url, body, content_type="application/json", headers=headers)

    def login(index: int) -> str:
        response = post("/api/device/v1/authenticate", {"method": "badge", "badge": f"b{index:06d}"})
        assert response.status_code == 200, response.content[:200]
        return response.json()["session_token"]

    def trivial() -> None:
        for _ in range(2):
            assert post("/bench/device-trivial/", {}).status_code == 200

    def badge_to_list() -> None:
        session = login(rng.randrange(USERS))
        response = client.get("/api/device/v1/print/jobs", headers={"X-Session-Token": session})
        assert response.status_code == 200 and len(response.json()["jobs"]) >= 1, response.content[:200]

    def release_to_document(session: str, job_id: int) -> None:
        response = post("/api/device/v1/print/release", {"job_ids": [job_id], "printer_serial": "BENCH0001"},
                        **{"X-Session-Token": session})
        assert response.status_code == 200 and response.json()["released"], response.content[:300]
        document = client.get(f"/api/device/v1/print/jobs/{job_id}/document")
        assert document.status_code == 200 and b"".join(document.streaming_content)[:4] == b"%PDF"
        released.append(job_id)

    def next_release():
        """A user and one of their held jobs, logged in outside the timing."""
        index = rng.randrange(USERS)
        session = login(index)
        jobs = client.get("/api/device/v1/print/jobs", headers={"X-Session-Token": session}).json()["jobs"]
        return session, jobs[0]["id"]

    def median_ms(run, prepare=None) -> float:
        for _ in range(3):
            run(*(prepare() if prepare else ()))
        samples = []
        for _ in range(REQUESTS):
            args = prepare() if prepare else ()
            t0 = time.perf_counter()
            run(*args)
            samples.append((time.perf_counter() - t0) * 1000)
        return statistics.median(samples)

    rounds = [(median_ms(trivial), median_ms(badge_to_list), median_ms(release_to_document, next_release))
              for _ in range(3)]
    base = statistics.median(r[0] for r in rounds)
    listing = statistics.median(r[1] for r in rounds)
    release = statistics.median(r[2] for r in rounds)

    # what each request costs in queries
    class Count:
        def __init__(self):
            self.n = 0

        def __call__(self, execute, sql, params, many, context):
            self.n += 1
            return execute(sql, params, many, context)

    def queries(call) -> int:
        counter = Count()
        with connection.execute_wrapper(counter):
            call()
        return counter.n

    session, job_id = next_release()
    auth_q = queries(lambda: login(rng.randrange(USERS)))
    list_q = queries(lambda: client.get("/api/device/v1/print/jobs", headers={"X-Session-Token": session}))
    release_q = queries(lambda: post("/api/device/v1/print/release", {"job_ids": [job_id]},
                                     **{"X-Session-Token": session}))
    document_q = queries(lambda: b"".join(client.get(f"/api/device/v1/print/jobs/{job_id}/document")
                                          .streaming_content))
    released.append(job_id)
    for pk in released:   # the printer reports; history and quota usage are written (not timed)
        assert post(f"/api/device/v1/print/jobs/{pk}/outcome", {"result": "printed"}).status_code == 200

    rows = [("2 requests to a trivial endpoint, same token (baseline)", f"{base:.2f}", "1.0x", ""),
            ("badge authentication + job list", f"{listing:.2f}", f"{listing / base:.1f}x",
             f"{auth_q} + {list_q}"),
            ("release one job + document download", f"{release:.2f}", f"{release / base:.1f}x",
             f"{release_q} + {document_q}")]
    print(f"\nPrint release with {USERS * JOBS_PER_USER:,} held jobs across {USERS:,} users, quotas and policies on, "
          f"median of {REQUESTS} flows x 3 rounds (django.test.Client, {connection.vendor})\n")
    print(table(rows, ("flow", "median ms", "vs baseline", "queries")))
    over = [label for label, ratio in (("job list", listing / base), ("release", release / base)) if ratio > GOAL]
    print(f"\nGoal: each flow <= {GOAL:.0f}x the same number of trivial requests: "
          + ("met" if not over else f"NOT met ({', '.join(over)})"))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
