"""Registries other apps add to at start-up (AppConfig.ready): the portals of the portal switcher and the
card types of the dashboards. Core code: knows permission codes only as strings."""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Portal:
    key: str
    name: str
    url_name: str                  # reversed with org_id
    permissions: tuple[str, ...]   # any one of them opens the portal
    service: str                   # entitlement that must be active
    order: int = 100


@dataclass(frozen=True)
class CardType:
    """A dashboard card. `render(request, organization)` returns a context dict for `template`."""

    key: str
    name: str
    permission: str
    template: str
    render: Callable
    service: str = "account"
    partner_only: bool = False
    description: str = ""
    order: int = 100


@dataclass
class Registry:
    portals: dict[str, Portal] = field(default_factory=dict)
    cards: dict[str, CardType] = field(default_factory=dict)

    def register_portal(self, portal: Portal) -> None:
        self.portals[portal.key] = portal

    def register_card(self, card: CardType) -> None:
        self.cards[card.key] = card


registry = Registry()
