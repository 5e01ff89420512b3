"""Delegates (E §1.8): a user lets other users of the organization see and release their cloud jobs, for ever or
for a number of days. Needs "Enable print job delegation"; with "Enable delegate e-mail notification" the
delegate is told when added (with the expiry), removed, and when the delegation expires."""
from datetime import timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from ..models import Delegate
from .org_settings import get_settings

MAX_EXPIRY_DAYS = 365


def delegator_ids(user, organization) -> list[int]:
    """Users whose jobs `user` sees as their delegate (none while delegation is off)."""
    if not get_settings(organization).delegation:
        return []
    return list(Delegate.objects.filter(organization=organization, delegate=user).active()
                .values_list("delegator_id", flat=True))


def add_delegate(delegator, delegate, *, expires_after_days: int | None = None, by=None) -> Delegate:
    """Add > select user > Never expires | Expires after (days) > Add Delegate. Adding an existing delegate
    again changes the expiry."""
    organization = delegator.organization
    if not get_settings(organization).delegation:
        raise ValidationError("Print job delegation is not enabled for this organization.")
    if delegate.organization_id != organization.pk or not delegate.is_active or delegate.is_guest:
        raise ValidationError({"delegate": "Select an active user of the organization."})
    if delegator.is_guest:   # a guest of e-mail submission has a PIN and a queue, nothing more
        raise ValidationError("Guests cannot name delegates.")
    if delegate.pk == delegator.pk:
        raise ValidationError({"delegate": "You cannot be your own delegate."})
    expires_at = None
    if expires_after_days is not None:
        if not isinstance(expires_after_days, int) or not 1 <= expires_after_days <= MAX_EXPIRY_DAYS:
            raise ValidationError({"expires_after_days": f"Type a number of days from 1 to {MAX_EXPIRY_DAYS}."})
        expires_at = timezone.now() + timedelta(days=expires_after_days)
    with transaction.atomic():
        row, _created = Delegate.objects.update_or_create(
            delegator=delegator, delegate=delegate,
            defaults={"organization": organization, "expires_at": expires_at, "expiry_notified": False})
        transaction.on_commit(lambda: _notify(row, "added"))
    return row


def remove_delegates(delegator, delegate_ids, *, by=None) -> int:
    """Select delegates > Remove."""
    with transaction.atomic():
        rows = list(Delegate.objects.select_related("delegate", "delegator")
                    .filter(delegator=delegator, pk__in=list(delegate_ids)))
        Delegate.objects.filter(pk__in=[r.pk for r in rows]).delete()
        transaction.on_commit(lambda: [_notify(row, "removed") for row in rows])
    return len(rows)


def expire_delegates(now=None) -> int:
    """Beat: delegations past their expiry are removed, their delegates told when notices are on."""
    now = now or timezone.now()
    rows = list(Delegate.objects.select_related("delegate", "delegator", "organization")
                .filter(expires_at__lte=now)[:1000])
    for row in rows:
        _notify(row, "expired")
    Delegate.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def _notify(row: Delegate, what: str) -> None:
    organization = row.organization
    if not get_settings(organization).delegate_email_notification:
        return
    who = row.delegator.name
    if what == "added":
        subject = f"You are now a print delegate of {who}"
        body = f"{who} ({row.delegator.email}) added you as a delegate: you can release their print jobs."
        if row.expires_at:
            body += f"\n\nThe delegation expires on {row.expires_at:%Y-%m-%d %H:%M} UTC."
    elif what == "removed":
        subject = f"You are no longer a print delegate of {who}"
        body = f"{who} ({row.delegator.email}) removed you as a delegate."
    else:
        subject = f"Your print delegation for {who} has expired"
        body = f"You can no longer release the print jobs of {who} ({row.delegator.email})."
    send_mail(subject, body, django_settings.DEFAULT_FROM_EMAIL, [row.delegate.email], fail_silently=True)
