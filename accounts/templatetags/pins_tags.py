"""Data for the PIN slots of My Account and the user page (templates/accounts/printer_login/_my_pin.html,
_user_pin.html), without touching the views that include them."""
from django import template

from ..models import UserPin
from ..services import printer_login as pins

register = template.Library()


def _state(user, *, self_service: bool) -> dict:
    config = pins.get_configuration(user.organization)
    record = UserPin.objects.filter(user=user, organization_id=user.organization_id).first()
    return {"config": config, "record": record, "expired": bool(record and not record.is_valid()),
            "login_method": pins.login_method(config), "rule": pins.pin_rule(config),
            "auto": config.pin_generation == "auto_email",
            **pins.pin_actions(config, has_pin=record is not None, self_service=self_service)}


@register.simple_tag
def my_pin_state(user) -> dict:
    """`{% my_pin_state user as pin %}`: the signed-in user's PIN and what My Account offers."""
    return _state(user, self_service=True)


@register.simple_tag
def user_pin_state(target) -> dict:
    """`{% user_pin_state target as pin %}`: a user's PIN and what an administrator may do about it."""
    return _state(target, self_service=False)
