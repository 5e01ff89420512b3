"""The Authentication Provider of an organization: configure (SAML or OIDC), enable, disable, remove.

Whatever an administrator types is checked against the provider before it is saved: the OIDC discovery
document and the SAML metadata are fetched and parsed, the certificate must parse, and URLs must be https
(plain http only for loopback hosts when FEDERATION_ALLOW_HTTP_LOOPBACK is on)."""
import datetime
import ipaddress
import json
import logging
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .. import access
from ..choices import FederationProtocol, PinGeneration, SamlSetup
from ..models import FederationDomain, IdentityProvider, Organization, User
from ..roles import Perm
from . import printer_login as pins

log = logging.getLogger("lexcloud.federation")
MAX_DOCUMENT = 1024 * 1024  # metadata, discovery documents and JWKS: 1 MB at most
DOMAIN_MAX = 50


# --- fetching provider documents -----------------------------------------------------------------------

def check_url(url: str, field: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and settings.FEDERATION_ALLOW_HTTP_LOOPBACK and _loopback(parts.hostname):
        return url
    raise ValidationError({field: "Type an https:// URL."})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch(url: str, field: str) -> bytes:
    """GET a provider document: no redirects (the URL typed is the URL used), a time and size limit."""
    url = check_url(url, field)
    try:
        with requests.get(url, timeout=settings.FEDERATION_HTTP_TIMEOUT, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise ValidationError({field: f"The URL answered HTTP {response.status_code}."})
            body = response.raw.read(MAX_DOCUMENT + 1, decode_content=True)
    except requests.RequestException as error:
        raise ValidationError({field: f"The URL cannot be reached ({type(error).__name__})."}) from None
    if len(body) > MAX_DOCUMENT:
        raise ValidationError({field: "The document is larger than 1 MB."})
    return body


def fetch_discovery(url: str) -> dict:
    """The OpenID configuration document, checked: its issuer is exactly the URL's prefix (OIDC Discovery
    4.3, ASVS 10.5.3) and it names the endpoints the code flow needs."""
    try:
        document = json.loads(fetch(url, "oidc_discovery_url"))
    except ValueError:
        raise ValidationError({"oidc_discovery_url": "The URL does not answer an OpenID configuration document."}) from None
    if not isinstance(document, dict):
        raise ValidationError({"oidc_discovery_url": "The URL does not answer an OpenID configuration document."})
    missing = [k for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
    if missing:
        raise ValidationError({"oidc_discovery_url": f"The document lacks {', '.join(missing)}."})
    expected = url.strip().removesuffix("/.well-known/openid-configuration").rstrip("/")
    if document["issuer"].rstrip("/") != expected:
        raise ValidationError({"oidc_discovery_url": f"The document's issuer {document['issuer']} does not match "
                                                     "the URL it was fetched from."})
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        check_url(document[endpoint], "oidc_discovery_url")
    algorithms = set(document.get("id_token_signing_alg_values_supported") or [])
    if algorithms and not algorithms & {"RS256", "ES256"}:
        raise ValidationError({"oidc_discovery_url": "The provider signs ID tokens with neither RS256 nor ES256."})
    keep = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
            "end_session_endpoint", "id_token_signing_alg_values_supported", "code_challenge_methods_supported",
            "token_endpoint_auth_methods_supported")
    return {k: document[k] for k in keep if k in document}


def parse_certificate(pem: str, field: str = "saml_idp_certificate") -> str:
    pem = (pem or "").strip()
    if "-----BEGIN CERTIFICATE-----" not in pem or "-----END CERTIFICATE-----" not in pem:
        raise ValidationError({field: "Paste the certificate (Base64) with its header and footer lines "
                                      "(-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)."})
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise ValidationError({field: "The certificate cannot be read."}) from None
    return pem + "\n"


def _pem(certificate: str) -> str:
    body = "".join(certificate.split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def fetch_saml_metadata(url: str) -> dict:
    """The identity provider's entity ID, sign-on and logout URLs and signing certificate from its metadata."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

    field = "saml_metadata_url"
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(fetch(url, field)).get("idp") or {}
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - the parser raises many kinds of errors on bad XML
        raise ValidationError({field: "The URL does not answer SAML metadata."}) from None
    certificate = parsed.get("x509cert") or next(iter((parsed.get("x509certMulti") or {}).get("signing", [])), "")
    values = {"saml_idp_entity_id": parsed.get("entityId", ""),
              "saml_sso_url": (parsed.get("singleSignOnService") or {}).get("url", ""),
              "saml_slo_url": (parsed.get("singleLogoutService") or {}).get("url", ""),
              "saml_idp_certificate": _pem(certificate) if certificate else ""}
    if not (values["saml_idp_entity_id"] and values["saml_sso_url"] and certificate):
        raise ValidationError({field: "The metadata lacks the entity ID, the sign-on URL (HTTP-Redirect) or the "
                                      "signing certificate."})
    parse_certificate(values["saml_idp_certificate"], field)
    return values


# --- our service provider's key pair -------------------------------------------------------------------

def make_sp_key_pair(org: Organization) -> tuple[str, str]:
    """An RSA-2048 key and a self-signed certificate (10 years) for signing our AuthnRequests and logouts."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"lexcloud SP {str(org.pk)[:8]}")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


# --- verbs ---------------------------------------------------------------------------------------------

def clean_domains(org: Organization, domains) -> list[str]:
    cleaned = []
    for raw in domains or []:
        domain = (raw or "").strip().lower().lstrip("@")
        if not domain:
            continue
        labels = domain.split(".")
        if len(labels) < 2 or not all(labels) or any(not label.replace("-", "").isalnum() for label in labels):
            raise ValidationError({"domains": f"{raw} is not a domain name (like example.com)."})
        if domain not in cleaned:
            cleaned.append(domain)
    if len(cleaned) > DOMAIN_MAX:
        raise ValidationError({"domains": f"At most {DOMAIN_MAX} domains."})
    taken = FederationDomain.objects.filter(domain__in=cleaned).exclude(organization=org)
    if taken.exists():
        names = ", ".join(taken.values_list("domain", flat=True))
        raise ValidationError({"domains": f"Already routed to another organization: {names}."})
    return cleaned


def _check_may_manage(by: User | None, org: Organization) -> None:
    if by is not None and Perm.ORG_MANAGE not in access.effective_permissions(by, org):
        raise PermissionDenied("You do not have the role this operation needs.")


def validate(org: Organization, values: dict) -> dict:
    """The provider's field values from a form's, with the provider's documents fetched and checked."""
    protocol = values.get("protocol")
    fields = {"protocol": protocol, "claim_names": values.get("claim_names") or {},
              "saml_allow_idp_initiated": bool(values.get("saml_allow_idp_initiated"))}
    if protocol == FederationProtocol.OIDC:
        errors = {k: "This field is required." for k in ("oidc_discovery_url", "oidc_client_id")
                  if not (values.get(k) or "").strip()}
        if errors:
            raise ValidationError(errors)
        fields.update(oidc_discovery_url=values["oidc_discovery_url"].strip(),
                      oidc_client_id=values["oidc_client_id"].strip(),
                      oidc_metadata=fetch_discovery(values["oidc_discovery_url"]))
        if values.get("oidc_client_secret"):
            fields["oidc_client_secret"] = values["oidc_client_secret"]
    elif protocol == FederationProtocol.SAML:
        setup = values.get("saml_setup") or SamlSetup.METADATA_URL
        fields["saml_setup"] = setup
        if setup == SamlSetup.METADATA_URL:
            if not (values.get("saml_metadata_url") or "").strip():
                raise ValidationError({"saml_metadata_url": "This field is required."})
            fields["saml_metadata_url"] = values["saml_metadata_url"].strip()
            fields.update(fetch_saml_metadata(fields["saml_metadata_url"]))
        else:
            required = ("saml_idp_entity_id", "saml_sso_url", "saml_idp_certificate")
            errors = {k: "This field is required." for k in required if not (values.get(k) or "").strip()}
            if errors:
                raise ValidationError(errors)
            fields.update(saml_metadata_url="", saml_idp_entity_id=values["saml_idp_entity_id"].strip(),
                          saml_sso_url=check_url(values["saml_sso_url"], "saml_sso_url"),
                          saml_slo_url=check_url(values["saml_slo_url"], "saml_slo_url")
                          if (values.get("saml_slo_url") or "").strip() else "",
                          saml_idp_certificate=parse_certificate(values["saml_idp_certificate"]))
        if values.get("saml_name_id_format"):
            fields["saml_name_id_format"] = values["saml_name_id_format"]
    else:
        raise ValidationError({"protocol": "Select SAML or OIDC."})
    return fields


@transaction.atomic
def configure(org: Organization, values: dict, *, domains=(), by: User | None = None) -> IdentityProvider:
    """Create or replace the organization's provider (one per organization). A new provider starts
    disabled unless `values["enabled"]`: test it first, then enable it."""
    _check_may_manage(by, org)
    domains = clean_domains(org, domains)
    fields = validate(org, values)
    provider = IdentityProvider.objects.select_for_update().filter(organization=org).first()
    if provider is not None and provider.protocol != fields["protocol"]:
        provider.delete()  # switching protocols: nothing of the old provider carries over
        provider = None
    if provider is None:
        provider = IdentityProvider(organization=org, protocol=fields["protocol"], enabled=False)
    if provider.protocol == FederationProtocol.OIDC and not (fields.get("oidc_client_secret") or provider.oidc_client_secret):
        raise ValidationError({"oidc_client_secret": "This field is required."})
    for name, value in fields.items():
        setattr(provider, name, value)
    if not provider.sp_certificate:
        provider.sp_certificate, provider.sp_private_key = make_sp_key_pair(org)
    provider.configured_by, provider.updated_at = by, timezone.now()
    provider.save()
    FederationDomain.objects.filter(organization=org).exclude(domain__in=domains).delete()
    for domain in domains:
        FederationDomain.objects.get_or_create(organization=org, domain=domain)
    if values.get("enabled"):
        set_enabled(provider, True, by=by)
    if by is not None:
        _mail_status(by, provider)
    return provider


@transaction.atomic
def set_enabled(provider: IdentityProvider, enabled: bool, *, by: User | None = None) -> IdentityProvider:
    """Enabling routes the organization's users to the provider and forces the PIN rule of federated
    organizations ("Administrator manually set" and "Never expire")."""
    org = provider.organization
    _check_may_manage(by, org)
    provider.enabled, provider.updated_at = enabled, timezone.now()
    provider.save(update_fields=["enabled", "updated_at"])
    if enabled:
        config = pins.get_configuration(org)
        if config.pin_generation != PinGeneration.ADMIN_SET or config.pin_expires:
            pins.update_configuration(org, pin_generation=PinGeneration.ADMIN_SET, pin_expires=False,
                                      pin_expiration_value=None, pin_expiration_unit="")
    log.info("federation %s: org=%s protocol=%s", "enabled" if enabled else "disabled", org.pk, provider.protocol)
    return provider


@transaction.atomic
def remove(org: Organization, *, by: User | None = None) -> None:
    """Remove the provider: users sign in with passwords again (they must set one by password reset)."""
    _check_may_manage(by, org)
    IdentityProvider.objects.filter(organization=org).delete()
    FederationDomain.objects.filter(organization=org).delete()
    org.refresh_from_db()  # forget the deleted provider cached on the instance


def refresh_saml_metadata() -> dict[str, int]:
    """Daily: re-read the metadata of providers configured "With Metadata URL", so that a provider's new
    signing certificate or URLs are taken without a re-save. A provider whose metadata cannot be read keeps
    what it had (logged)."""
    counts = {"refreshed": 0, "failed": 0}
    for provider in IdentityProvider.objects.filter(protocol=FederationProtocol.SAML, saml_setup=SamlSetup.METADATA_URL
                                                    ).exclude(saml_metadata_url=""):
        try:
            values = fetch_saml_metadata(provider.saml_metadata_url)
        except ValidationError as error:
            log.warning("federation: metadata of org=%s not refreshed: %s", provider.organization_id, error.messages)
            counts["failed"] += 1
            continue
        changed = [name for name, value in values.items() if getattr(provider, name) != value]
        if changed:
            for name in changed:
                setattr(provider, name, values[name])
            provider.updated_at = timezone.now()
            provider.save(update_fields=[*changed, "updated_at"])
            log.info("federation: metadata of org=%s refreshed (%s)", provider.organization_id, ", ".join(changed))
        counts["refreshed"] += 1
    return counts


def _mail_status(user: User, provider: IdentityProvider) -> None:
    """"Once the authentication configuration is complete, you will receive an e-mail about the
    configuration status" (2025 edition)."""
    context = {"provider": provider, "organization": provider.organization}
    subject = render_to_string("accounts/email/federation_status_subject.txt", context).strip()
    body = render_to_string("accounts/email/federation_status.txt", {"user": user, **context})
    transaction.on_commit(lambda: EmailMessage(subject=subject, body=body, to=[user.email]).send())
