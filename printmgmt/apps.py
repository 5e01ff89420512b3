from django.apps import AppConfig


class PrintMgmtConfig(AppConfig):
    name = "printmgmt"
    verbose_name = "Print Management"

    def ready(self):
        from accounts.choices import Service
        from accounts.roles import Perm
        from lexcloud.registry import Portal, registry

        registry.register_portal(Portal("print", "Print Management", "printmgmt:home", (Perm.PRINT_USE, Perm.PRINT_ADMIN, Perm.PRINT_REPORTS,), Service.PRINT, order=30))
