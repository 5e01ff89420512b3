"""Identity federation, protocol-independent: which provider an e-mail address signs in through (home-realm
discovery), and who a verified identity is (just-in-time provisioning from claims).

The protocol adapters (accounts/services/saml.py, oidc.py) verify what the provider sent and hand over an
`Identity`; everything below trusts it. Refusals raise `FederationRefused` with a reason that is logged and
a message the person signing in can act on."""
import logging
import secrets
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..choices import GroupKind, OrganizationStatus, PinSource
from ..models import (
    Badge,
    FederatedIdentity,
    FederationDomain,
    Group,
    IdentityProvider,
    Organization,
    UsedAssertion,
    User,
)
from ..models.federation import CLAIM_LABELS
from . import groups as group_services
from . import printer_login as pins
from .badges import clean_badge_id
from .users import normalize_email

log = logging.getLogger("lexcloud.federation")

NOT_A_USER = ("Your account is not a user of this organization. Ask your administrator to add you, "
              "or to list your e-mail domain in the authentication provider's Domains.")
RESULT_SECONDS = 15 * 60  # a Test federation result is kept this long


class FederationRefused(Exception):
    """`reason`: for the log (what exactly was wrong); `message`: for the person signing in."""

    def __init__(self, reason: str, message: str = "Sign-in through your identity provider failed."):
        super().__init__(reason)
        self.reason = reason
        self.message = message


def refuse(provider: IdentityProvider | None, reason: str, message: str | None = None) -> FederationRefused:
    """Log the refusal (one line, greppable) and return the exception to raise."""
    org = provider.organization_id if provider else "-"
    protocol = provider.protocol if provider else "-"
    log.warning("federation refused: org=%s protocol=%s reason=%s", org, protocol, reason)
    return FederationRefused(reason, *(message,) if message else ())


@dataclass
class Identity:
    """What a provider asserted, after the adapter verified it: subject within issuer, and raw claims."""

    issuer: str
    subject: str
    claims: dict = field(default_factory=dict)


# --- home-realm discovery ------------------------------------------------------------------------------

def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider an address signs in through: the one owning its domain, else the one of the
    organization the (existing) user belongs to. None: sign in with a password."""
    email = (email or "").strip().lower()
    if "@" not in email:
        return None
    enabled = IdentityProvider.objects.select_related("organization").filter(
        enabled=True, organization__status=OrganizationStatus.ACTIVE)
    return (enabled.filter(organization__federation_domains__domain=email_domain(email)).first()
            or enabled.filter(organization__users__email=email).first())


# --- claims --------------------------------------------------------------------------------------------

def _lookup(claims: dict, name: str):
    """A claim by name, case-insensitively; SAML attribute URIs match on their last segment."""
    wanted = name.lower()
    for key, value in claims.items():
        lowered = key.lower()
        if lowered == wanted or lowered.rsplit("/", 1)[-1] == wanted:
            return value
    return None


def _text(value) -> str | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    return str(value).strip()


def profile_from_claims(provider: IdentityProvider, claims: dict) -> dict:
    """The user fields the claims give, by the provider's claim names. Absent claims are left out (they do
    not blank a field); present ones overwrite local edits at every sign-in."""
    profile = {}
    for name in CLAIM_LABELS:
        value = _lookup(claims, provider.claim(name))
        if value is None:
            continue
        if name == "groups":
            values = value if isinstance(value, list | tuple) else [value]
            profile["groups"] = [str(v).strip() for v in values if str(v).strip()]
        else:
            text = _text(value)
            if text is not None:
                profile[name] = text
    return profile


# --- provisioning --------------------------------------------------------------------------------------

@dataclass
class Resolution:
    """Who an identity is in the organization: an existing federated user, an existing local user to link,
    or a new user to create (`user` is None)."""

    action: str  # "existing" | "link" | "create"
    email: str
    profile: dict
    user: User | None = None

    def describe(self) -> str:
        return {"existing": f"Signs in as {self.email} (already federated).",
                "link": f"Signs in as the existing user {self.email}, linked to this identity from now on.",
                "create": f"Creates the user {self.email} at first sign-in (its domain is listed)."}[self.action]


def resolve(provider: IdentityProvider, identity: Identity) -> Resolution:
    """Decide, without changing anything, who the identity signs in as (Test federation shows this)."""
    org: Organization = provider.organization
    if org.status != OrganizationStatus.ACTIVE:
        raise refuse(provider, "organization pending deletion", "This organization is being deleted.")
    if not identity.subject or not identity.issuer:
        raise refuse(provider, "assertion without subject or issuer")
    profile = profile_from_claims(provider, identity.claims)
    try:
        email = normalize_email(profile.get("email", ""))
    except ValidationError:
        raise refuse(provider, f"no valid e-mail claim ({provider.claim('email')!r})",
                     "Your identity provider did not send your e-mail address.") from None
    link = (FederatedIdentity.objects.select_related("user")
            .filter(organization=org, issuer=identity.issuer, subject=identity.subject).first())
    if link is not None:
        return Resolution("existing", email, profile, link.user)
    user = User.objects.filter(email=email).first()
    if user is not None:
        if user.organization_id != org.pk:
            raise refuse(provider, f"{email} belongs to another organization", NOT_A_USER)
        return Resolution("link", email, profile, user)
    if not FederationDomain.objects.filter(organization=org, domain=email_domain(email)).exists():
        raise refuse(provider, f"{email} is not a user and its domain is not listed", NOT_A_USER)
    return Resolution("create", email, profile)


@transaction.atomic
def sign_in(provider: IdentityProvider, identity: Identity) -> User:
    """The user the verified identity signs in as, created or updated from the claims."""
    found = resolve(provider, identity)
    org, profile = provider.organization, found.profile
    user = found.user
    if user is None:
        user = User.objects.create_user(found.email, org, password=None)
    elif not user.is_active:
        raise refuse(provider, f"{user.email} is deactivated", "Your account is deactivated.")
    FederatedIdentity.objects.update_or_create(organization=org, issuer=identity.issuer, subject=identity.subject,
                                               defaults={"user": user, "last_sign_in_at": timezone.now()})
    _apply_profile(provider, user, found.email, profile)
    log.info("federated sign-in: org=%s protocol=%s user=%s action=%s", org.pk, provider.protocol, user.pk,
             found.action)
    return user


def _apply_profile(provider: IdentityProvider, user: User, email: str, profile: dict) -> None:
    changed = []
    if user.email != email and not User.objects.filter(email=email).exclude(pk=user.pk).exists():
        user.email = email
        changed.append("email")
    for claim, attribute in (("given_name", "first_name"), ("family_name", "last_name"),
                             ("department", "department"), ("cost_center", "cost_center")):
        if claim in profile and getattr(user, attribute) != profile[claim][:150]:
            setattr(user, attribute, profile[claim][:150])
            changed.append(attribute)
    if changed:
        user.save(update_fields=changed)
    if profile.get("badge"):
        _badge_from_claim(provider, user, profile["badge"])
    if profile.get("pin"):
        try:
            pins.set_pin(user, profile["pin"], source=PinSource.IDP, notify=False)
        except ValidationError as error:
            log.warning("federation: PIN claim of user %s not applied: %s", user.pk, error.messages)
    if "groups" in profile:
        _groups_from_claim(user, profile["groups"])


def _badge_from_claim(provider: IdentityProvider, user: User, value: str) -> None:
    """"Federated users who have their badge numbers in the Active Directory are not prompted to register
    their badge": the claim registers it as a permanent badge. A badge another user holds is left alone."""
    try:
        badge_id = clean_badge_id(value)
    except ValidationError:
        log.warning("federation: badge claim of user %s is not a valid badge ID", user.pk)
        return
    holder = Badge.objects.filter(organization_id=user.organization_id, badge_id=badge_id).first()
    if holder is None:
        Badge.objects.create(organization_id=user.organization_id, user=user, badge_id=badge_id,
                             description=f"From {provider.get_protocol_display()} claims")
    elif holder.user_id != user.pk:
        log.warning("federation: badge claim of user %s is registered to user %s", user.pk, holder.user_id)


def _groups_from_claim(user: User, names: list[str]) -> None:
    """The groups claim names the user's groups: the organization's groups of those names (case-insensitive;
    unknown names ignored) become exactly the user's groups."""
    wanted = {n.lower() for n in names}
    groups = Group.objects.filter(organization_id=user.organization_id, kind=GroupKind.ORGANIZATION_ACCESS)
    ids = [g.pk for g in groups if g.name.lower() in wanted]
    group_services.set_user_groups(user, ids)


# --- SAML replay ---------------------------------------------------------------------------------------

def use_assertion_once(provider: IdentityProvider, assertion_id: str, expires_at) -> None:
    """Record a SAML assertion ID until it expires; a second use within that time is refused."""
    now = timezone.now()
    UsedAssertion.objects.filter(organization_id=provider.organization_id, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(organization_id=provider.organization_id, assertion_id=assertion_id[:255],
                                         expires_at=expires_at)
    except IntegrityError:
        raise refuse(provider, f"replayed assertion {assertion_id}") from None


def purge_used_assertions() -> int:
    return UsedAssertion.objects.filter(expires_at__lte=timezone.now()).delete()[0]


def domains_of(org: Organization) -> list[str]:
    return list(FederationDomain.objects.filter(organization=org).values_list("domain", flat=True))


# --- Test federation -----------------------------------------------------------------------------------

def keep_test_result(provider: IdentityProvider, identity: Identity, *, user_id) -> str:
    """What a Test federation round trip brought back, for the administrator who started it (`user_id`):
    who the identity would sign in as, and the claims (a PIN masked). Nothing is created or changed.
    Returns the token the Authentication Provider page shows it by."""
    try:
        outcome, ok = resolve(provider, identity).describe(), True
    except FederationRefused as error:
        outcome, ok = f"{error.message} ({error.reason})", False
    pin_claim = provider.claim("pin").lower()
    claims = {k: ("••••" if k.lower().rsplit("/", 1)[-1] == pin_claim else _shown(v))
              for k, v in identity.claims.items() if k not in ("nonce", "at_hash", "c_hash")}
    profile = profile_from_claims(provider, identity.claims)
    if "pin" in profile:
        profile["pin"] = "•" * len(profile["pin"])
    token = secrets.token_urlsafe(16)
    cache.set(f"federation-test:{token}", {
        "org": str(provider.organization_id), "user": user_id, "ok": ok, "outcome": outcome,
        "issuer": identity.issuer, "subject": identity.subject, "claims": claims,
        "profile": [(name, CLAIM_LABELS[name], _shown(value)) for name, value in profile.items()]},
        RESULT_SECONDS)
    return token


def test_result(token: str, org_id, user) -> dict | None:
    """A kept result, only for the administrator who started the round trip, in that organization."""
    entry = cache.get(f"federation-test:{token}") if token else None
    if not entry or entry["org"] != str(org_id) or entry["user"] != user.pk:
        return None
    return entry


def _shown(value) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)
