"""What the Printers page toolbar's action menus need (templates/fleet/printers/_actions.html), so that the
listing view does not have to know about them: the organization's tags, the panel messages, the
authentication types of "Update agent access credentials" and the URLs of other areas' pages."""
from django import template

from ..choices import PanelMessage
from ..models import Tag
from ..services.printers import AccessAuthType
from ..views.printer_detail import optional_url

register = template.Library()


@register.simple_tag
def printer_actions(organization) -> dict:
    org_id = organization.pk
    tags = list(Tag.objects.filter(organization=organization).order_by("name").only("id", "name"))
    return {
        "tags": tags,
        "tag_rows": [{"tag": tag, "checked": False} for tag in tags],
        "panel_messages": PanelMessage.choices,
        "auth_types": AccessAuthType.CHOICES,
        "pre_enrolled_url": optional_url("fleet:native-pre-enroll-remove", org_id=org_id),
        "tags_api": optional_url("api-fleet-tags", org_id=org_id),
    }
