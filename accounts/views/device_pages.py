"""Pages outside organizations: /device (secure login code), badge registration links (issue 3)."""
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..services import badges as badge_services


@never_cache
@require_GET
def badge_registration(request, token):
    """The e-mailed single-use link ("E-mail Registration" at the printer): registers the badge, then shows
    "Badge Registration Completed Successfully." and goes to My Account after 5 seconds. An unknown, used or
    expired link gets a page saying so (410 for used/expired, 404 for unknown). No sign-in is needed: the
    link itself is the proof of the e-mail address; it does not sign anyone in."""
    try:
        badge_services.complete_email_registration(token)
    except ValidationError as error:
        code = error.code or "invalid"
        status = 404 if code == "invalid" else 409 if code == "taken" else 410
        response = render(request, "accounts/device/badge_registration_failed.html",
                          {"reason": " ".join(error.messages), "code": code}, status=status)
    else:
        response = render(request, "accounts/device/badge_registration.html")
        response["Refresh"] = f"5;url={reverse('my-account')}"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the next page's referrer
    return response


urlpatterns: list = [
    path("badge-registration/<str:token>/", badge_registration, name="badge-registration"),
]
