"""The supported printer models of the guide, as data (loaded from fleet/data/printer_models.json by a
migration). Features are gated on it; models not in it (third-party, unknown) get data collection only."""
from django.db import models

from ..choices import AgentType

AGENT_FLAGS = {AgentType.PRINTER: "printer_agent", AgentType.FLEET: "fleet_agent",
               AgentType.NATIVE: "native_agent", AgentType.LOCAL: "local_agent"}


class PrinterModel(models.Model):
    name = models.CharField(max_length=64, unique=True)
    family = models.CharField(max_length=64, blank=True)
    manufacturer = models.CharField(max_length=64, default="Lexmark")
    printer_agent = models.BooleanField(default=False)
    fleet_agent = models.BooleanField(default=False)
    native_agent = models.BooleanField(default=False)
    local_agent = models.BooleanField(default=False)
    cloud_scan = models.BooleanField(default=False)
    cloud_print_mgmt = models.BooleanField(default=False)
    auth_badge = models.BooleanField(default=False)
    auth_user_id = models.BooleanField(default=False)
    auth_pin = models.BooleanField(default=False)
    cloud_print_release = models.BooleanField(default=False)
    footnotes = models.JSONField(default=list, blank=True)   # guide footnotes 1..6 that apply
    disputed = models.BooleanField(default=False)            # the editions disagree (docs/decisions/0007)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def supports_agent(self, agent_type: str) -> bool:
        return getattr(self, AGENT_FLAGS[agent_type])

    def panel_notifications(self, agent_type: str) -> bool:
        """Footnote 3: "If these printer models are managed using the Fleet Agent, then sending notifications
        to the control panel is not supported.\""""
        return not (agent_type == AgentType.FLEET and 3 in self.footnotes)

    @property
    def deployable(self) -> bool:
        """Footnote 4: no application or configuration deployment from the portal."""
        return 4 not in self.footnotes

    @property
    def automatic_release(self) -> bool:
        """Footnote 5: no automatic print release."""
        return 5 not in self.footnotes
