"""Dashboards and cards (guide §3): up to 10 dashboards per user, up to 24 cards per dashboard.

Cards come from the card registry (lexcloud.registry); a card type is allowed for a user in an organization
when the user holds its permission there, the organization is entitled to its service and, for partner-only
cards, the organization is a partner. Only a Partner Administrator (a user who sees more than one
organization) picks the organization of a card; everyone else gets their own.
"""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from lexcloud.registry import CardType, registry

from .. import access
from ..models import Card, Dashboard, Organization, User

MAX_DASHBOARDS = 10
MAX_CARDS = 24
MIN_COLUMNS, MAX_COLUMNS = 1, 4
DEFAULT_DASHBOARD_NAME = "My Dashboard"
NAME_MAX_LENGTH = 100

TOO_MANY_DASHBOARDS = "You can create up to 10 dashboards"
TOO_MANY_CARDS = "You can add up to 24 cards"
NAME_NOT_UNIQUE = "Type a unique dashboard name"
DEFAULT_UNDELETABLE = "You cannot delete a dashboard that is set as default."


# --- Which cards a user may use -------------------------------------------------------------------------

def card_types() -> list[CardType]:
    return sorted(registry.cards.values(), key=lambda c: (c.order, c.name))


def is_partner_admin(user) -> bool:
    """Only a Partner Administrator selects an organization for a card: someone who sees more than one."""
    return len(access.visible_organizations(user)) > 1


def card_allowed(user, card_type: CardType, organization: Organization) -> bool:
    if not organization.is_entitled(card_type.service):
        return False
    if card_type.partner_only and not organization.is_partner:
        return False
    return card_type.permission in access.effective_permissions(user, organization)


def _visible(user, org_id) -> Organization | None:
    """The user's own copy of a visible organization (already cached), or None when it is out of sight."""
    for org in access.visible_organizations(user):
        if org.pk == org_id:
            return org
    return None


def selectable_organizations(user, card_type: CardType) -> list[Organization]:
    """Organizations in which this user may add a card of this type (their own only, unless partner admin)."""
    orgs = access.visible_organizations(user) if is_partner_admin(user) else access.visible_organizations(user)[:1]
    return [org for org in orgs if card_allowed(user, card_type, org)]


def available_card_types(user) -> list[tuple[CardType, list[Organization]]]:
    """Card types the user may add, each with the organizations they may pick for it."""
    result = []
    for card_type in card_types():
        orgs = selectable_organizations(user, card_type)
        if orgs:
            result.append((card_type, orgs))
    return result


def _clean_name(name, message: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(message)
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"Use at most {NAME_MAX_LENGTH} characters.")
    return name


def _lock_user(user) -> None:
    """Serializes the limit checks of one user's concurrent requests (SQLite locks the whole file anyway)."""
    user_id = getattr(user, "pk", user)
    list(User.objects.select_for_update().filter(pk=user_id).values_list("pk", flat=True))


# --- Dashboards -------------------------------------------------------------------------------------------

def default_cards_for(user) -> list[CardType]:
    home = access.visible_organizations(user)[0]
    return [card_type for card_type in card_types() if card_allowed(user, card_type, home)]


def ensure_default_dashboard(user) -> Dashboard:
    """The user's default dashboard. A user without dashboards gets "My Dashboard" with the cards their roles
    allow in their own organization; a user whose dashboards lost the default flag gets the first one."""
    dashboard = Dashboard.objects.filter(user=user, is_default=True).first()
    if dashboard is not None:
        return dashboard
    try:
        with transaction.atomic():
            _lock_user(user)
            first = Dashboard.objects.filter(user=user).first()
            if first is not None:
                Dashboard.objects.filter(pk=first.pk).update(is_default=True)
                first.is_default = True
                return first
            dashboard = Dashboard.objects.create(user=user, name=DEFAULT_DASHBOARD_NAME, is_default=True)
            home = access.visible_organizations(user)[0]
            Card.objects.bulk_create([
                Card(dashboard=dashboard, card_type=card_type.key, name=card_type.name, position=i, organization=home)
                for i, card_type in enumerate(default_cards_for(user))
            ])
            return dashboard
    except IntegrityError:  # a concurrent first visit created it
        return Dashboard.objects.filter(user=user).order_by("-is_default", "created_at", "id").first()


def _check_unique(user_id, name: str, exclude_pk=None) -> None:
    clash = Dashboard.objects.filter(user_id=user_id, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(NAME_NOT_UNIQUE)


@transaction.atomic
def create_dashboard(user, name: str) -> Dashboard:
    name = _clean_name(name, NAME_NOT_UNIQUE)
    _lock_user(user)
    if Dashboard.objects.filter(user=user).count() >= MAX_DASHBOARDS:
        raise ValidationError(TOO_MANY_DASHBOARDS)
    _check_unique(user.pk, name)
    is_first = not Dashboard.objects.filter(user=user).exists()
    return Dashboard.objects.create(user=user, name=name, is_default=is_first)


@transaction.atomic
def rename_dashboard(dashboard: Dashboard, name: str) -> Dashboard:
    name = _clean_name(name, NAME_NOT_UNIQUE)
    _lock_user(dashboard.user_id)
    _check_unique(dashboard.user_id, name, exclude_pk=dashboard.pk)
    dashboard.name = name
    dashboard.save(update_fields=["name"])
    return dashboard


@transaction.atomic
def delete_dashboard(dashboard: Dashboard) -> None:
    current = Dashboard.objects.select_for_update().get(pk=dashboard.pk)
    if current.is_default:
        raise ValidationError(DEFAULT_UNDELETABLE)
    current.delete()


@transaction.atomic
def set_default_dashboard(dashboard: Dashboard) -> Dashboard:
    _lock_user(dashboard.user_id)
    Dashboard.objects.filter(user_id=dashboard.user_id, is_default=True).exclude(pk=dashboard.pk).update(is_default=False)
    Dashboard.objects.filter(pk=dashboard.pk).update(is_default=True)
    dashboard.is_default = True
    return dashboard


@transaction.atomic
def set_columns(dashboard: Dashboard, columns) -> Dashboard:
    try:
        columns = int(columns)
    except (TypeError, ValueError):
        columns = 0
    if not MIN_COLUMNS <= columns <= MAX_COLUMNS:
        raise ValidationError(f"Select from {MIN_COLUMNS} to {MAX_COLUMNS} columns.")
    dashboard.columns = columns
    dashboard.save(update_fields=["columns"])
    return dashboard


# --- Cards ------------------------------------------------------------------------------------------------

@transaction.atomic
def add_card(dashboard: Dashboard, card_type: str, name: str = "", organization: Organization | None = None) -> Card:
    """Add a card of a registered type. `organization` is honoured only for Partner Administrators; the card
    type must be allowed for the dashboard's owner in that organization."""
    user = dashboard.user
    list(Dashboard.objects.select_for_update().filter(pk=dashboard.pk).values_list("pk", flat=True))
    if Card.objects.filter(dashboard=dashboard).count() >= MAX_CARDS:
        raise ValidationError(TOO_MANY_CARDS)
    kind = registry.cards.get(card_type or "")
    if kind is None:
        raise ValidationError("Select a card type.")
    home = access.visible_organizations(user)[0]
    if organization is None or organization.pk == home.pk:
        org = home
    else:
        org = _visible(user, organization.pk) if is_partner_admin(user) else None
        if org is None:
            raise ValidationError("Select an organization you manage.")
    if not card_allowed(user, kind, org):
        raise ValidationError(f"The card {kind.name} is not available for {org.name}.")
    name = _clean_name(name, "Type a card name.") if (name or "").strip() else kind.name
    last = Card.objects.filter(dashboard=dashboard).aggregate(m=Max("position"))["m"]
    return Card.objects.create(dashboard=dashboard, card_type=kind.key, name=name,
                               position=0 if last is None else last + 1, organization=org)


@transaction.atomic
def rename_card(card: Card, name: str) -> Card:
    card.name = _clean_name(name, "Type a card name.")
    card.save(update_fields=["name"])
    return card


@transaction.atomic
def set_card_hidden(card: Card, hidden: bool) -> Card:
    card.hidden = bool(hidden)
    card.save(update_fields=["hidden"])
    return card


def hide_card(card: Card) -> Card:
    return set_card_hidden(card, True)


def show_card(card: Card) -> Card:
    return set_card_hidden(card, False)


def _renumber(ordered: list[Card]) -> None:
    changed = []
    for i, card in enumerate(ordered):
        if card.position != i:
            card.position = i
            changed.append(card)
    Card.objects.bulk_update(changed, ["position"])


@transaction.atomic
def move_card(card: Card, position) -> Card:
    """Put the card at `position` (0-based, clamped) and renumber the dashboard's cards 0..n-1."""
    try:
        position = int(position)
    except (TypeError, ValueError):
        raise ValidationError("Type a position.") from None
    list(Dashboard.objects.select_for_update().filter(pk=card.dashboard_id).values_list("pk", flat=True))
    everything = list(Card.objects.filter(dashboard_id=card.dashboard_id))
    mine = next((c for c in everything if c.pk == card.pk), None)
    if mine is None:
        raise ValidationError("The card no longer exists.")
    cards = [c for c in everything if c.pk != card.pk]
    position = max(0, min(position, len(cards)))
    cards.insert(position, mine)
    _renumber(cards)
    card.position = position
    return card


@transaction.atomic
def remove_card(card: Card) -> None:
    list(Dashboard.objects.select_for_update().filter(pk=card.dashboard_id).values_list("pk", flat=True))
    dashboard_id = card.dashboard_id
    card.delete()
    _renumber(list(Card.objects.filter(dashboard_id=dashboard_id)))


# --- Rendering --------------------------------------------------------------------------------------------

@dataclass
class RenderedCard:
    card: Card
    card_type: CardType | None
    organization: Organization | None
    available: bool
    context: dict = field(default_factory=dict)

    @property
    def template(self) -> str:
        return self.card_type.template if self.card_type else ""


def render_cards(request, dashboard: Dashboard, *, include_hidden: bool = False) -> list[RenderedCard]:
    """The cards of a dashboard with their data. A card whose type is gone, whose organization the user no
    longer sees, or whose permission the user lost renders as not available and runs no query for data.
    Each (card type, organization) is computed once per request, so the query count does not grow with cards."""
    user = request.user
    home = access.visible_organizations(user)[0]
    computed: dict[tuple[str, object], dict] = {}
    result = []
    cards = dashboard.cards.all() if include_hidden else dashboard.cards.filter(hidden=False)
    for card in cards:
        kind = registry.cards.get(card.card_type)
        org = _visible(user, card.organization_id) if card.organization_id else home
        if kind is None or org is None or not card_allowed(user, kind, org):
            result.append(RenderedCard(card, kind, org, False))
            continue
        key = (kind.key, org.pk)
        if key not in computed:
            computed[key] = kind.render(request, org) or {}
        result.append(RenderedCard(card, kind, org, True, computed[key]))
    return result
