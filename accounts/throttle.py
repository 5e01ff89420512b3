"""Brute-force protection of the device API: token buckets in the Django cache (Redis in production).

Every printer (application) has a bucket of PRINTER.capacity failures refilling one token per
PRINTER.refill_seconds, and every organization one of ORGANIZATION.capacity refilling one per
ORGANIZATION.refill_seconds (all printers of an organization together: guessing from many printers at once).
Every attempt takes a token from each bucket BEFORE its credentials are looked at, and a successful one gives
them back: concurrent guesses cannot slip through while a password is being hashed. An attempt finding a
bucket empty is refused (HTTP 429 with Retry-After).

A bucket is stored as (tokens, at) under one cache key that expires once the bucket would be full again; an
organization's buckets are read and written under a short lock (an atomic cache.add), so concurrent attempts
are counted one by one.

The cache being unavailable does not stop users from logging in at printers: the throttle then fails OPEN
(every attempt passes) and logs a warning; the audit rows (accounts.models.AuthAttempt) are still written.
"""
import logging
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bucket:
    scope: str
    capacity: int          # failures allowed in a burst
    refill_seconds: float  # one more failure allowed after this many seconds

    @property
    def rate(self) -> float:
        return 1.0 / self.refill_seconds


LOCK_WAIT_SECONDS = 1.0
LOCK_TTL_SECONDS = 2

PRINTER = Bucket("application", capacity=10, refill_seconds=30)
ORGANIZATION = Bucket("organization", capacity=100, refill_seconds=3)


def _now() -> float:
    return time.time()


def _key(bucket: Bucket, ident) -> str:
    return f"device-auth:{bucket.scope}:{ident}"


def device_buckets(application) -> list[tuple[Bucket, str]]:
    """The buckets an attempt at this application (printer) draws from."""
    return [(PRINTER, _key(PRINTER, application.pk)), (ORGANIZATION, _key(ORGANIZATION, application.organization_id))]


def _level(bucket: Bucket, state, now: float) -> float:
    if not state:
        return float(bucket.capacity)
    tokens, at = state
    return min(float(bucket.capacity), tokens + max(0.0, now - at) * bucket.rate)


def _wait(bucket: Bucket, level: float) -> float:
    return (1.0 - level) / bucket.rate if level < 1.0 else 0.0


@contextmanager
def _locked(buckets):
    """Serialize the read-modify-write of these buckets across processes (cache.add is atomic)."""
    lock = "lock:" + buckets[-1][1]
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(lock, 1, LOCK_TTL_SECONDS):
        if time.monotonic() > deadline:
            break  # a crashed holder: its lock expires within LOCK_TTL_SECONDS; go on rather than stall logins
        time.sleep(0.002)
    try:
        yield
    finally:
        cache.delete(lock)


def acquire(buckets) -> int:
    """Take one token from each bucket for an attempt about to be checked. Answers 0 when taken, else the
    seconds until every bucket has a token again (nothing taken)."""
    try:
        with _locked(buckets):
            states = cache.get_many([key for _bucket, key in buckets])
            now = _now()
            levels = [(bucket, key, _level(bucket, states.get(key), now)) for bucket, key in buckets]
            wait = max(_wait(bucket, level) for bucket, _key, level in levels)
            if wait > 0:
                return math.ceil(wait)
            for bucket, key, level in levels:
                _store(bucket, key, level - 1.0, now)
            return 0
    except Exception:  # noqa: BLE001 - fail open: a cache outage must not lock every printer out
        log.warning("device throttle: cache unavailable, attempt allowed", exc_info=True)
        return 0


def release(buckets) -> None:
    """Give back the tokens of an attempt that succeeded (or that must not count)."""
    try:
        with _locked(buckets):
            states = cache.get_many([key for _bucket, key in buckets])
            now = _now()
            for bucket, key in buckets:
                _store(bucket, key, min(float(bucket.capacity), _level(bucket, states.get(key), now) + 1.0), now)
    except Exception:  # noqa: BLE001
        log.warning("device throttle: cache unavailable", exc_info=True)


def _store(bucket: Bucket, key: str, level: float, now: float) -> None:
    ttl = math.ceil((bucket.capacity - level) * bucket.refill_seconds) + 1
    cache.set(key, (level, now), ttl)


def reset(buckets) -> None:
    try:
        cache.delete_many([key for _bucket, key in buckets])
    except Exception:  # noqa: BLE001
        log.warning("device throttle: cache unavailable", exc_info=True)
