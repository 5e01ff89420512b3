from django.apps import AppConfig


class LexcloudConfig(AppConfig):
    name = "lexcloud"
    verbose_name = "lexcloud core"
