"""Users: create, update, delete, password e-mails."""
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .. import access
from ..models import Organization, User
from ..passwords import password_problems

PROFILE_FIELDS = ("first_name", "last_name", "display_name", "shortname", "department", "cost_center")


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Type a valid e-mail address."}) from None
    return email


def check_password(password: str) -> None:
    problems = password_problems(password)
    if problems:
        raise ValidationError({"password": problems})


@transaction.atomic
def create_user(org: Organization, email: str, *, password: str | None = None, send_password_link: bool = True,
                custom_attributes=None, **profile) -> User:
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "E-mail must be unique."})
    if password:
        check_password(password)
    unknown = set(profile) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown profile fields: {unknown}")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, org, password=password or None,
                                            custom_attributes=custom_attributes or {}, **profile)
    except IntegrityError:  # a concurrent request created the same address first
        raise ValidationError({"email": "E-mail must be unique."}) from None
    if not password and send_password_link:
        transaction.on_commit(lambda: send_password_links([user.pk]))
    return user


@transaction.atomic
def update_user(user: User, *, password: str | None = None, by: User | None = None, **changes) -> User:
    """`by` (the acting administrator; None for an operator) may not change a user who holds more
    account-management rights than they do: a new e-mail address and a reset link would take the account."""
    unknown = set(changes) - set(PROFILE_FIELDS) - {"email", "custom_attributes"}
    if unknown:
        raise TypeError(f"unknown user fields: {unknown}")
    access.check_may_manage_users(by, user.organization, [user.pk])
    if "email" in changes:
        email = normalize_email(changes.pop("email"))
        if User.objects.filter(email=email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": "E-mail must be unique."})
        user.email = email
    for name, value in changes.items():
        setattr(user, name, value)
    if password:
        check_password(password)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent change took the e-mail address first
        raise ValidationError({"email": "E-mail must be unique."}) from None
    return user


@transaction.atomic
def delete_users(org: Organization, user_ids, *, by: User | None = None) -> int:
    ids = set(user_ids)
    if by is not None and by.pk in ids:
        raise ValidationError({"users": "You cannot delete your own account."})
    access.check_may_manage_users(by, org, ids)
    deleted = User.objects.filter(organization=org, pk__in=ids).count()
    User.objects.filter(organization=org, pk__in=ids).delete()
    return deleted


def password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.BASE_URL.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})


def send_password_links(user_ids, *, reset: bool = False) -> int:
    """"Email will be sent to user to finish setting up their account/password": one connection for all.
    With reset=True the e-mail is the **Reset Password** one (an existing account, a new password)."""
    users = list(User.objects.filter(pk__in=list(user_ids)).select_related("organization"))
    subject = "Reset your lexcloud password" if reset else "Set up your lexcloud account"
    template = "accounts/users/email_reset_password.txt" if reset else "accounts/email/set_password.txt"
    messages = [
        EmailMessage(
            subject=subject,
            body=render_to_string(template, {"user": u, "link": password_link(u)}),
            to=[u.email],
        )
        for u in users
    ]
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return len(messages)


def reset_password(user: User) -> int:
    """**Reset Password** on a user page or on My Account: e-mail the user a link to set a new password.
    The current password keeps working until the link is used."""
    return send_password_links([user.pk], reset=True)
