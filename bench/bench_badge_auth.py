"""Badge authentication at the device API with 50,000 users and 100,000 badges in one organization: median
latency of POST /api/device/v1/authenticate by badge (random badges) as a ratio to a trivial endpoint authenticated with the
same application token (bench/urls.py), 50 requests each (median of three interleaved rounds), plus query
counts. Goal: ratio <= 2."""
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup, table  # noqa: E402

USERS = 50_000
BADGES = 100_000
REQUESTS = 50
GOAL = 2.0


def main():
    setup("bench_badge_auth", urlconf="bench.urls")
    import secrets
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    from accounts.choices import ApplicationKind
    from accounts.models import Badge, User
    from accounts.services import applications, printer_login
    from accounts.services.organizations import create_organization

    org = create_organization("Bench Badges", entitlements=["print", "scan"])
    printer_login.update_configuration(org, badge=True)
    started = time.perf_counter()
    users = []
    for i in range(USERS):
        u = User(email=f"user{i:05d}@bench.test", organization=org, first_name=f"First{i}", last_name=f"Last{i}",
                 department=f"D{i % 5}", cost_center=f"CC{i % 7}")
        u.set_unusable_password()
        users.append(u)
    User.objects.bulk_create(users, batch_size=1000)
    ids = list(User.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    Badge.objects.bulk_create([Badge(organization=org, user_id=ids[i % len(ids)], badge_id=f"{i:010x}",
                                     registered_at=now) for i in range(BADGES)], batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"[bench_badge_auth] {USERS:,} users and {BADGES:,} badges loaded in {time.perf_counter() - started:.1f}s")

    app, _secret = applications.create_application(org, "Bench printer", kind=ApplicationKind.DEVICE)
    token = secrets.token_urlsafe(30)
    get_access_token_model().objects.create(application=app, token=token, scope="device",
                                            expires=now + timedelta(hours=2))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    rng = random.Random(3)

    def badge_body():
        return {"method": "badge", "badge": f"{rng.randrange(BADGES):010x}"}

    def post(url, body):
        return client.post(url, body, content_type="application/json")

    def median_ms(url, body_of):
        for _ in range(3):  # warm-up
            post(url, body_of())
        samples = []
        for _ in range(REQUESTS):
            body = body_of()
            started = time.perf_counter()
            response = post(url, body)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code, response.content[:200])
        return statistics.median(samples)

    def queries(url, body):
        with CaptureQueriesContext(connection) as ctx:
            assert post(url, body).status_code == 200
        return len(ctx.captured_queries)

    trivial_url, auth_url = "/bench/device-trivial/", "/api/device/v1/authenticate"
    # three rounds of both series, interleaved so drift (caches, the disk, other load) weighs on both alike
    rounds = [(median_ms(trivial_url, dict), median_ms(auth_url, badge_body)) for _ in range(3)]
    trivial = statistics.median(t for t, _b in rounds)
    badge = statistics.median(b for _t, b in rounds)
    ratio = badge / trivial
    rows = [("trivial endpoint, same application token (baseline)", f"{trivial:.2f}", "1.0x",
             queries(trivial_url, {})),
            ("POST authenticate by badge", f"{badge:.2f}", f"{ratio:.1f}x", queries(auth_url, badge_body()))]
    print(f"\nBadge authentication with {USERS:,} users and {BADGES:,} badges, median of {REQUESTS} requests "
          f"(django.test.Client, {connection.vendor})\n")
    print(table(rows, ("endpoint", "median ms", "vs trivial", "queries")))
    print(f"\nratio {ratio:.2f} (goal <= {GOAL})")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
