"""{% badge_summary user as s %}: the Printer Login read-outs of a user's badges (Badges Registered, Temporary,
Permanent, Last Used, Last Registered) for the My Account and user page slots, in one query."""
from django import template

from ..services.badges import summary

register = template.Library()


@register.simple_tag
def badge_summary(user):
    if user is None or not getattr(user, "pk", None):
        return {"registered": 0, "temporary": 0, "permanent": 0, "last_used": None, "last_registered": None}
    return summary(user)
