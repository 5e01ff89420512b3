"""User import speed: 10,000 CREATE rows through accounts.services.imports.import_users against a bare
User.objects.bulk_create of the same rows (batch 500) in the same run. Goal: ratio ≤ 5, constant queries
per batch."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._django import setup, table  # noqa: E402

ROWS = 10_000
GOAL = 5.0


def main():
    setup("bench_import")
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from accounts.services import imports as svc
    from accounts.services import users as user_services
    from accounts.services.organizations import create_organization
    from tests.conftest import make_user

    org = create_organization("Bench Import")
    admin = make_user(org, "admin@bench.test", ["organization_administrator"])

    def rows(domain, groups=False):
        lines = [svc.HEADER_LINE]
        for i in range(ROWS):
            group = f'"Team {i % 20},All staff"' if groups else ""
            lines.append(f"user{i}@{domain},CREATE,,First{i},Last{i},First {i} Last,u{i},{group},,CC{i % 7},D{i % 5}")
        return "\n".join(lines) + "\n"

    # Baseline: a bare bulk_create of the same 10,000 users (unusable passwords, batch 500).
    started = time.perf_counter()
    users = []
    for i in range(ROWS):
        u = User(email=f"user{i}@baseline.test", organization=org, first_name=f"First{i}", last_name=f"Last{i}",
                 display_name=f"First {i} Last", shortname=f"u{i}", cost_center=f"CC{i % 7}", department=f"D{i % 5}")
        u.set_unusable_password()
        users.append(u)
    User.objects.bulk_create(users, batch_size=500)
    baseline = time.perf_counter() - started

    results = []

    def run(label, domain, *, groups=False, links=True, stub_mail=False):
        content = rows(domain, groups)
        real_send = user_services.send_password_links
        if stub_mail:
            user_services.send_password_links = lambda ids, **kw: len(ids)
        mail.outbox = []
        try:
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                result = svc.import_users(org, content, by=admin, send_password_links=links)
                seconds = time.perf_counter() - started
        finally:
            user_services.send_password_links = real_send
        assert result.created == ROWS and not result.errors, result.errors[:3]
        batches = -(-ROWS // svc.BATCH_SIZE)
        results.append((label, f"{seconds:.2f}", f"{seconds / baseline:.1f}x", len(ctx.captured_queries),
                        f"{len(ctx.captured_queries) / batches:.1f}", len(mail.outbox)))

    run("import, DB work only (links stubbed)", "a.test", stub_mail=True)
    run("import + 10,000 set-password e-mails", "b.test")
    run("import + 2 groups per user (links stubbed)", "c.test", groups=True, stub_mail=True)

    print(f"\nUser import of {ROWS:,} CREATE rows, batch {svc.BATCH_SIZE}; baseline bulk_create {baseline:.2f}s\n")
    print(table(results, ("variant", "seconds", "vs bulk_create", "queries", "queries/batch", "e-mails")))
    worst = max(float(r[2].rstrip("x")) for r in results[:1])
    print(f"\nGoal: DB work ≤ {GOAL:.0f}x bulk_create → {'met' if worst <= GOAL else 'NOT met'} ({worst:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
