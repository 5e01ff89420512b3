"""Rate limit per integration application: a token bucket (accounts.throttle, the device API's, in the
Django cache) of INTEGRATION_API_BURST calls refilling one every INTEGRATION_API_REFILL_SECONDS. A call
finding it empty is answered 429 with Retry-After. Like the device throttle it fails open when the cache is
down."""
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts import throttle


def bucket() -> throttle.Bucket:
    """Read at each call: the settings can change (tests, the benchmark)."""
    return throttle.Bucket("integration", capacity=settings.INTEGRATION_API_BURST,
                           refill_seconds=settings.INTEGRATION_API_REFILL_SECONDS)


class ApplicationRateThrottle(BaseThrottle):
    """One bucket per application, shared by every token and process of that application."""

    def allow_request(self, request, view) -> bool:
        application_id = getattr(request.auth, "application_id", None)
        if application_id is None:
            return True  # not authenticated: refused before any data is read
        rate = bucket()
        self._wait = throttle.acquire([(rate, f"integration-api:{application_id}")])
        return self._wait == 0

    def wait(self) -> float | None:
        return self._wait
