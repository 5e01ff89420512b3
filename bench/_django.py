"""Set up Django for a benchmark on a throwaway database.

The database comes from the environment: BENCH_DATABASE_URL (a throwaway database: it is emptied), else a
fresh SQLite file under var/bench/ (<name>.sqlite3, deleted first). Fast password hashing (MD5) applies only inside the benchmarks."""
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(name: str, *, urlconf: str | None = None):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    os.environ["DATABASE_URL"] = url
    os.environ["PASSWORD_HASHERS"] = "django.contrib.auth.hashers.MD5PasswordHasher"
    os.environ.setdefault("DEBUG", "0")
    os.environ["EMAIL_URL"] = "memorymail://"  # locmem: no SMTP needed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lexcloud.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    if os.environ.get("BENCH_DATABASE_URL"):
        call_command("flush", verbosity=0, interactive=False)  # a throwaway database: each bench starts empty
    print(f"[{name}] database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
          f"{settings.DATABASES['default']['NAME']} migrated in {time.perf_counter() - started:.1f}s")


def median_get_ms(client, url: str, requests: int, *, before=None, warmup: int = 3) -> float:
    """Median milliseconds of `requests` GETs of `url` (each must answer 200), after `warmup` unmeasured
    ones; `before` runs ahead of each measured request, outside the timing."""
    import statistics

    for _ in range(warmup):
        client.get(url)
    samples = []
    for _ in range(requests):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples)


def get_queries(client, url: str) -> int:
    """How many SQL queries one GET of `url` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident memory in MB from /proc (VmRSS now, VmHWM the peak); 0 where /proc is missing."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0.0
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def table(rows: list[tuple], headers: tuple) -> str:
    rows = [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])
