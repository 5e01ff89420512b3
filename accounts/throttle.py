"""Brute-force protection of the device API: token buckets in the Django cache (Redis in production).

Every printer (application) has a bucket of PRINTER.capacity failures refilling one token per
PRINTER.refill_seconds, and every organization one of ORGANIZATION.capacity refilling one per
ORGANIZATION.refill_seconds (all printers of an organization together: guessing from many printers at once).
Only failed attempts take a token; an attempt finding any of its buckets empty is refused before its
credentials are looked at (HTTP 429 with Retry-After).

A bucket is stored as (tokens, at) under one cache key that expires once the bucket would be full again.
Reading and writing it is not atomic: two failures at the very same moment may be counted as one, which
leaves the limits approximately, never loosely, enforced (the next failure counts again).

The cache being unavailable does not stop users from logging in at printers: the throttle then fails OPEN
(every attempt passes) and logs a warning; the audit rows (accounts.models.AuthAttempt) are still written.
"""
import logging
import math
import time
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


def retry_after(buckets) -> int:
    """Seconds until every bucket allows one more failure (0: the attempt may proceed now)."""
    try:
        states = cache.get_many([key for _bucket, key in buckets])
    except Exception:  # noqa: BLE001 - fail open: a cache outage must not lock every printer out
        log.warning("device throttle: cache unavailable, attempt allowed", exc_info=True)
        return 0
    now = _now()
    wait = 0.0
    for bucket, key in buckets:
        level = _level(bucket, states.get(key), now)
        if level < 1.0:
            wait = max(wait, (1.0 - level) / bucket.rate)
    return math.ceil(wait) if wait > 0 else 0


def consume(buckets) -> None:
    """Take one token from each bucket (a failed attempt)."""
    try:
        states = cache.get_many([key for _bucket, key in buckets])
        now = _now()
        for bucket, key in buckets:
            level = max(0.0, _level(bucket, states.get(key), now) - 1.0)
            ttl = math.ceil((bucket.capacity - level) * bucket.refill_seconds) + 1
            cache.set(key, (level, now), ttl)
    except Exception:  # noqa: BLE001
        log.warning("device throttle: cache unavailable, failure not counted", exc_info=True)


def reset(buckets) -> None:
    try:
        cache.delete_many([key for _bucket, key in buckets])
    except Exception:  # noqa: BLE001
        log.warning("device throttle: cache unavailable", exc_info=True)
