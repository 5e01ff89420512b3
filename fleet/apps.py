from django.apps import AppConfig


class FleetConfig(AppConfig):
    name = "fleet"
    verbose_name = "Fleet Management"

    def ready(self):
        from accounts.choices import Service
        from accounts.roles import Perm
        from lexcloud.registry import Portal, registry

        registry.register_portal(Portal("fleet", "Fleet Management", "fleet:home", (Perm.FLEET_VIEW, Perm.FLEET_REPORTS,), Service.FLEET, order=20))
        from . import cards  # noqa: F401  (registers the Fleet Management dashboard cards)
