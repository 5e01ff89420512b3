"""Users list latency with 10,000 users: the users list API and the Users page, each as a ratio to a trivial
authenticated DRF endpoint (bench/urls.py), median of 50 requests, plus query counts at page sizes 10 and 100
(they must be equal). Skips with a message when the users list views do not exist yet."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import get_queries, median_get_ms, setup, table  # noqa: E402

USERS = 10_000
REQUESTS = 50


def main():
    setup("bench_user_list", urlconf="bench.urls")
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    from accounts.models import Group, User
    from accounts.services.organizations import create_organization
    from tests.conftest import make_user

    org = create_organization("Bench Users")
    admin = make_user(org, "admin@bench.test", ["organization_administrator"])
    users = []
    for i in range(USERS):
        u = User(email=f"user{i:05d}@bench.test", organization=org, first_name=f"First{i}", last_name=f"Last{i}",
                 department=f"D{i % 5}", cost_center=f"CC{i % 7}")
        u.set_unusable_password()
        users.append(u)
    User.objects.bulk_create(users, batch_size=500)
    groups = Group.objects.bulk_create([Group(organization=org, name=f"Team {g}") for g in range(20)])
    through = Group.members.through
    ids = list(User.objects.filter(organization=org).values_list("pk", flat=True))
    through.objects.bulk_create([through(group_id=groups[i % 20].pk, user_id=pk) for i, pk in enumerate(ids)],
                                batch_size=1000)

    # Fresh statistics, as autovacuum would have them on a running system: the planner then walks the
    # (organization, email) index for a page instead of sorting the organization's users.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    client = Client()
    client.force_login(admin)

    def median_ms(url):
        return median_get_ms(client, url, REQUESTS)

    def queries(url):
        return get_queries(client, url)

    trivial = median_ms("/bench/trivial/")
    rows = [("trivial DRF endpoint (baseline)", f"{trivial:.1f}", "1.0x", "", "", "")]
    api_url = f"/api/v1/organizations/{org.pk}/users/"
    page_url = None
    try:
        page_url = reverse("accounts:users", kwargs={"org_id": org.pk})
    except NoReverseMatch:
        pass
    try:
        resolve(api_url)
        api_ok = client.get(api_url).status_code == 200
    except Resolver404:
        api_ok = False
    skipped = []
    if api_ok:
        ms = median_ms(api_url)
        q10, q100 = queries(api_url + "?page_size=10"), queries(api_url + "?page_size=100")
        rows.append(("users list API", f"{ms:.1f}", f"{ms / trivial:.1f}x", q10, q100,
                     "equal" if q10 == q100 else "GROWS"))
    else:
        skipped.append(f"users list API {api_url} does not exist yet (or does not answer 200): skipped")
    page_ok = False
    if page_url:
        response = client.get(page_url)
        page_ok = response.status_code == 200 and b"Being built" not in response.content
    if page_ok:
        ms = median_ms(page_url)
        from accounts.views import users as user_views

        def page_queries(size):
            if hasattr(user_views, "PAGE_SIZE"):
                old, user_views.PAGE_SIZE = user_views.PAGE_SIZE, size
                try:
                    return queries(page_url)
                finally:
                    user_views.PAGE_SIZE = old
            return queries(f"{page_url}?page_size={size}")

        q10, q100 = page_queries(10), page_queries(100)
        rows.append(("users list page", f"{ms:.1f}", f"{ms / trivial:.1f}x", q10, q100,
                     "equal" if q10 == q100 else "GROWS"))
    else:
        skipped.append(f"users list page {page_url} is not built yet: skipped")

    print(f"\nUsers list with {USERS:,} users, median of {REQUESTS} requests (django.test.Client, logged in as an "
          "Organization Administrator)\n")
    print(table(rows, ("endpoint", "median ms", "vs trivial", "queries@10", "queries@100", "queries")))
    for message in skipped:
        print(message)
    return 1 if any(r[-1] == "GROWS" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
