"""Dashboards and their cards (the card types are registered in lexcloud.registry)."""
from django.db import models
from django.utils import timezone

from .organizations import Organization, User


class Dashboard(models.Model):
    """A user's dashboard: up to 10 per user, up to 24 cards each."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    columns = models.PositiveSmallIntegerField(default=3)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="dashboard_name_unique_per_user")]

    def __str__(self):
        return self.name


class Card(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="cards")
    card_type = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.name
