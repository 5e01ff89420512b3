"""Identity federation: an organization's one authentication provider (SAML 2.0 or OpenID Connect), the
e-mail domains that route to it, the federated identities of its users and the SAML assertions already used.

"An organization can only be configured to federate with a single identity management provider." Users are
keyed by (organization, issuer, subject), never by e-mail alone (ASVS 6.8.1)."""
from django.db import models
from django.utils import timezone

from lexcloud.crypto import EncryptedTextField

from ..choices import FederationProtocol, NameIdFormat, SamlSetup
from ..querysets import OrgScopedQuerySet
from .organizations import Organization, User

# Claim (OIDC) or attribute (SAML) names read by default; an administrator can rename each one. Matched
# case-insensitively; SAML also accepts the Microsoft claim URIs ending in these names.
DEFAULT_CLAIMS = {
    "email": "email", "given_name": "given_name", "family_name": "family_name",
    "badge": "badge", "pin": "pin", "department": "department", "cost_center": "costcenter", "groups": "groups",
}
CLAIM_LABELS = {"email": "E-mail", "given_name": "Given name", "family_name": "Family name", "badge": "Badge",
                "pin": "PIN", "department": "Department", "cost_center": "Cost center", "groups": "Groups"}
DEFAULT_SAML_ATTRIBUTES = {
    **DEFAULT_CLAIMS, "given_name": "givenname", "family_name": "surname",
}


class IdentityProvider(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="identity_provider")
    protocol = models.CharField(max_length=8, choices=FederationProtocol.choices)
    enabled = models.BooleanField(default=True)
    claim_names = models.JSONField(default=dict, blank=True)  # overrides of DEFAULT_CLAIMS / _SAML_ATTRIBUTES

    # OpenID Connect
    oidc_discovery_url = models.URLField(max_length=500, blank=True)
    oidc_client_id = models.CharField(max_length=255, blank=True)
    oidc_client_secret = EncryptedTextField(blank=True)
    oidc_metadata = models.JSONField(default=dict, blank=True)  # the discovery document as last fetched

    # SAML 2.0: the identity provider...
    saml_setup = models.CharField(max_length=10, choices=SamlSetup.choices, blank=True)
    saml_metadata_url = models.URLField(max_length=500, blank=True)
    saml_idp_entity_id = models.CharField(max_length=500, blank=True)
    saml_sso_url = models.URLField(max_length=500, blank=True)
    saml_slo_url = models.URLField(max_length=500, blank=True)
    saml_name_id_format = models.CharField(max_length=100, choices=NameIdFormat.choices, default=NameIdFormat.EMAIL)
    saml_idp_certificate = models.TextField(blank=True)  # PEM: the certificate itself, never a fingerprint
    saml_allow_idp_initiated = models.BooleanField(default=False)
    # ...and our service provider's own key pair, made for this organization
    sp_certificate = models.TextField(blank=True)
    sp_private_key = EncryptedTextField(blank=True)

    configured_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return f"{self.get_protocol_display()} provider of {self.organization}"

    def claim(self, field: str) -> str:
        defaults = DEFAULT_SAML_ATTRIBUTES if self.protocol == FederationProtocol.SAML else DEFAULT_CLAIMS
        return (self.claim_names or {}).get(field) or defaults[field]

    @property
    def issuer(self) -> str:
        """Namespace of the subjects this provider asserts."""
        if self.protocol == FederationProtocol.OIDC:
            return self.oidc_metadata.get("issuer", "")
        return self.saml_idp_entity_id


class FederationDomain(models.Model):
    """An e-mail domain routed to one organization's provider; new users of it are created at first sign-in."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="federation_domains")
    domain = models.CharField(max_length=253, unique=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["domain"]

    def __str__(self):
        return self.domain


class FederatedIdentity(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="federated_identities")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="federated_identities")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "issuer", "subject"],
                                               name="federated_identity_unique")]

    def __str__(self):
        return f"{self.subject} at {self.issuer}"


class UsedAssertion(models.Model):
    """SAML assertion IDs already accepted, kept until the assertion expires (ASVS 6.8.3): a replay is refused
    by the unique constraint, atomically, whichever web process receives it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "assertion_id"], name="used_assertion_unique")]

    def __str__(self):
        return self.assertion_id
