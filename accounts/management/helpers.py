"""What the operator commands share: finding an organization by ID or name, and turning a service's
ValidationError into a CommandError."""
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import Organization


def find_organization(value: str) -> Organization:
    """The organization with this name, or with this ID."""
    organization = Organization.objects.filter(name=value).first()
    if organization is None:
        try:
            organization = Organization.objects.filter(pk=value).first()
        except ValidationError:  # not a UUID
            organization = None
    if organization is None:
        raise CommandError(f"No organization {value!r}.")
    return organization


def command_error(exc: ValidationError) -> CommandError:
    messages = ([m for msgs in exc.message_dict.values() for m in msgs] if hasattr(exc, "error_dict")
                else exc.messages)
    return CommandError("; ".join(messages))
