"""Pages outside organizations: the e-mailed badge registration link."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..services import badges as badge_services

STATUS = {"invalid": 404, "taken": 409, "wrong_user": 403}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def badge_registration(request, token):
    """The e-mailed single-use link ("E-mail Registration" at the printer). GET shows what is about to happen
    (the masked badge ID, when it was asked for) to the signed-in owner of the link; **Register Badge** (POST)
    registers it, then "Badge Registration Completed Successfully." and My Account after 5 seconds. Opening
    the link alone changes nothing: a mail scanner's prefetch or a colleague who typed someone else's address
    at a printer cannot attach a badge to an account."""
    try:
        if request.method == "POST":
            badge_services.complete_email_registration(token, user=request.user)
        else:
            registration = badge_services.pending_registration(token)
            if registration.user_id != request.user.pk:
                raise ValidationError("This registration link was sent to another account.", code="wrong_user")
    except ValidationError as error:
        code = error.code or "invalid"
        response = render(request, "accounts/device/badge_registration_failed.html",
                          {"reason": " ".join(error.messages), "code": code}, status=STATUS.get(code, 410))
    else:
        if request.method == "POST":
            response = render(request, "accounts/device/badge_registration.html")
            response["Refresh"] = f"5;url={reverse('my-account')}"
        else:
            response = render(request, "accounts/device/badge_registration_confirm.html", {
                "registration": registration,
                "masked": badge_services.mask_badge_id(registration.badge_id)})
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to the next page's referrer
    return response


urlpatterns: list = [
    path("badge-registration/<str:token>/", badge_registration, name="badge-registration"),
]
