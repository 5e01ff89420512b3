"""The Fleet Management cards of the dashboards (registered by FleetConfig.ready). Each card's data is one
aggregate query over the organization's enrolled printers; its links open the Printers page filtered."""
from django.db.models import Count, Q
from django.urls import reverse

from accounts.choices import Service
from accounts.roles import Perm
from lexcloud.registry import CardType, registry

from .choices import Activation, AgentType, Communication, Status
from .models import Agent, Printer


def _printers(request, organization):
    return Printer.objects.for_user(request.user, Perm.FLEET_VIEW, organization=organization).enrolled()


def _listing(organization, **filters) -> str:
    url = reverse("fleet:printers", kwargs={"org_id": organization.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in filters.items()) if filters else "")


def _communication(request, organization):
    """Printer Communication Status (D §13.4): links to printers not communicating, agents not
    communicating, agents that need credentials."""
    counts = dict(_printers(request, organization).order_by().values("communication")
                  .annotate(n=Count("id")).values_list("communication", "n"))
    rows = [{"label": label, "count": counts.get(value, 0), "url": _listing(organization, communication=value),
             "key": value}
            for value, label in Communication.choices if value != Communication.COMMUNICATING]
    return {"rows": rows, "communicating": counts.get(Communication.COMMUNICATING, 0),
            "total": sum(counts.values()), "url": _listing(organization)}


def _fleet_status(request, organization):
    """Fleet status: printers by printer status, and how many have open supply or printer alerts."""
    aggregates = {s: Count("id", filter=Q(status=s)) for s in Status.values}
    aggregates.update(total=Count("id"), supply=Count("id", filter=Q(supply_alerts__gt=0)),
                      printer=Count("id", filter=Q(printer_alerts__gt=0)))
    counts = _printers(request, organization).aggregate(**aggregates)
    return {"statuses": [{"label": label, "count": counts[value], "url": _listing(organization, status=value),
                          "key": value} for value, label in Status.choices],
            "total": counts["total"],
            "supply_alerts": counts["supply"], "supply_url": _listing(organization, supply_alerts="yes"),
            "printer_alerts": counts["printer"], "printer_url": _listing(organization, printer_alerts="yes"),
            "url": _listing(organization)}


def _agent_status(request, organization):
    """Fleet Agent Status: the organization's Fleet Agents by status (Communicating, Not communicating,
    Activation required, Deactivated), each linking to the Fleet Agents section filtered on it."""
    from .services import agents as agent_services

    agents = Agent.objects.for_user(request.user, Perm.FLEET_VIEW, organization=organization).filter(
        kind=AgentType.FLEET)
    communicating = agent_services.communicating_q()
    counts = agents.aggregate(
        total=Count("id"), communicating=Count("id", filter=communicating),
        not_communicating=Count("id", filter=Q(activation=Activation.ACTIVATED) & ~communicating),
        required=Count("id", filter=Q(activation=Activation.REQUIRED)),
        deactivated=Count("id", filter=Q(activation=Activation.DEACTIVATED)))
    base = reverse("fleet:agents", kwargs={"org_id": organization.pk}) + "?section=fleet"
    rows = [{"key": key, "label": label, "count": counts[key], "url": f"{base}&status={key}"}
            for key, label in agent_services.AGENT_STATUSES]
    return {"rows": rows, "total": counts["total"], "url": base}


CARDS = (
    CardType(key="fleet.communication_status", name="Printer Communication Status", permission=Perm.FLEET_VIEW,
             template="dashboards/cards/fleet_communication_status.html", render=_communication,
             service=Service.FLEET.value, order=50,
             description="Shows the printers not communicating, the agents not communicating, and the agents "
                         "that need credentials."),
    CardType(key="fleet.status", name="Fleet status", permission=Perm.FLEET_VIEW,
             template="dashboards/cards/fleet_status.html", render=_fleet_status, service=Service.FLEET.value,
             order=51, description="Shows the printers by status, and the printers with supply or printer alerts."),
    CardType(key="fleet.agent_status", name="Fleet Agent Status", permission=Perm.FLEET_VIEW,
             template="fleet/agents/card_status.html", render=_agent_status, service=Service.FLEET.value,
             order=52, description="Shows the Fleet Agents by status: communicating, not communicating, "
                                   "activation required, deactivated."),
)

for _card in CARDS:
    registry.register_card(_card)
