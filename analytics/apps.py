from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self):
        from accounts.choices import Service
        from accounts.roles import Perm
        from lexcloud.registry import Portal, registry

        registry.register_portal(Portal("analytics", "Analytics", "analytics:home", (Perm.FLEET_REPORTS, Perm.PRINT_REPORTS, Perm.PRINT_USE,), Service.ANALYTICS, order=50))
