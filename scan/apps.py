from django.apps import AppConfig


class ScanConfig(AppConfig):
    name = "scan"
    verbose_name = "Scan Management"

    def ready(self):
        from accounts.choices import Service
        from accounts.roles import Perm
        from lexcloud.registry import Portal, registry

        registry.register_portal(Portal("scan", "Scan Management", "scan:home", (Perm.SCAN_USE, Perm.SCAN_ADMIN,), Service.SCAN, order=40))
