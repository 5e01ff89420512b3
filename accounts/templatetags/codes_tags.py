"""Template tags of the secure login code and applications pages (My Account's Printer Login panel)."""
from django import template

from ..models import PrinterLoginConfiguration

register = template.Library()


@register.simple_tag
def secure_login_enabled(user) -> bool:
    """Whether the user's organization lets users log in at printers with a secure login code."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "organization_id", None):
        return False
    config = PrinterLoginConfiguration.objects.filter(organization_id=user.organization_id).only("secure_login").first()
    return bool(config and config.secure_login)
