"""SAML 2.0 service provider per organization (python3-saml, strict mode).

python3-saml checks signatures, audience, recipient, destination, time conditions and InResponseTo. Before
it sees a document we refuse what it does not: more than one assertion or response element (signature
wrapping), encrypted assertions, DTDs, and any ds:Transform other than enveloped-signature and exclusive
c14n (the XSLT "transform bomb", python3-saml#447). After it, each assertion ID is used once (ASVS 6.8.3)."""
import base64
import binascii
import datetime
import hashlib
import logging
import zlib

from django.core.cache import cache
from django.urls import reverse
from lxml import etree
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from ..models import IdentityProvider
from .federation import Identity, refuse, use_assertion_once

log = logging.getLogger("lexcloud.federation")

MAX_MESSAGE = 256 * 1024  # a SAMLResponse (base64) larger than this is refused before parsing
ALLOWED_TRANSFORMS = {"http://www.w3.org/2000/09/xmldsig#enveloped-signature",
                      "http://www.w3.org/2001/10/xml-exc-c14n#"}
NS = {"samlp": C.NS_SAMLP, "saml": C.NS_SAML, "ds": C.NS_DS}
PENDING_SECONDS = 10 * 60  # an AuthnRequest or LogoutRequest is answered within this time
ASSERTION_LIFETIME = datetime.timedelta(minutes=10)  # kept for replay checks when the assertion names no end
MAX_AGE = datetime.timedelta(minutes=10)   # an assertion issued longer ago is stale, whatever its conditions say
CLOCK_SKEW = datetime.timedelta(minutes=3)


def sp_urls(org_id, request) -> dict:
    """Our entity ID (also the metadata URL), ACS and SLS of an organization, as its provider must know them."""
    return {key: request.build_absolute_uri(reverse(f"federation:saml-{name}", args=[org_id]))
            for key, name in (("entity_id", "metadata"), ("acs", "acs"), ("sls", "sls"))}


def settings_for(provider: IdentityProvider, request) -> dict:
    urls = sp_urls(provider.organization_id, request)
    idp = {"entityId": provider.saml_idp_entity_id,
           "singleSignOnService": {"url": provider.saml_sso_url, "binding": C.BINDING_HTTP_REDIRECT},
           "x509cert": provider.saml_idp_certificate}
    if provider.saml_slo_url:
        idp["singleLogoutService"] = {"url": provider.saml_slo_url, "binding": C.BINDING_HTTP_REDIRECT}
    return {
        "strict": True,
        "debug": False,
        "sp": {"entityId": urls["entity_id"],
               "assertionConsumerService": {"url": urls["acs"], "binding": C.BINDING_HTTP_POST},
               "singleLogoutService": {"url": urls["sls"], "binding": C.BINDING_HTTP_REDIRECT},
               "NameIDFormat": provider.saml_name_id_format,
               "x509cert": provider.sp_certificate, "privateKey": provider.sp_private_key},
        "idp": idp,
        "security": {
            "authnRequestsSigned": True, "logoutRequestSigned": True, "logoutResponseSigned": True,
            "wantAssertionsSigned": True, "wantMessagesSigned": False, "wantAssertionsEncrypted": False,
            "wantNameId": True, "wantNameIdEncrypted": False, "wantXMLValidation": True,
            "rejectDeprecatedAlgorithm": True, "requestedAuthnContext": False,
            "rejectUnsolicitedResponsesWithInResponseTo": True,
            "allowSingleLabelDomains": True,  # intranet host names of self-hosted sites
            "signatureAlgorithm": C.RSA_SHA256, "digestAlgorithm": C.SHA256,
            "metadataValidUntil": None, "metadataCacheDuration": None,
        },
    }


def sp_metadata(provider: IdentityProvider, request) -> str:
    saml_settings = OneLogin_Saml2_Settings(settings_for(provider, request), sp_validation_only=True)
    metadata = saml_settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def _request_data(request) -> dict:
    return {"https": "on" if request.is_secure() else "off", "http_host": request.get_host(),
            "script_name": request.path,
            "get_data": request.GET.copy(), "post_data": request.POST.copy(),
            # python3-saml re-encodes GET parameters to check redirect signatures: keep the sender's encoding
            "query_string": request.META.get("QUERY_STRING", "")}


def _auth(provider: IdentityProvider, request) -> OneLogin_Saml2_Auth:
    return OneLogin_Saml2_Auth(_request_data(request), old_settings=settings_for(provider, request))


def login_redirect(provider: IdentityProvider, request, *, relay_state: str) -> tuple[str, str]:
    """(URL of the identity provider with a signed AuthnRequest, the request's ID to expect back)."""
    auth = _auth(provider, request)
    url = auth.login(return_to=relay_state)
    return url, auth.get_last_request_id()


# --- pending requests ----------------------------------------------------------------------------------
# Kept in the cache, not the session: the provider's POST to the ACS is cross-site and the session cookie
# (SameSite=Lax) does not come with it. Each AuthnRequest remembers the digest of a value bound to the
# browser that started it (views.federation sets it as a cookie).

def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def remember_request(provider: IdentityProvider, request_id: str, *, binding: str, next_url: str, test: bool,
                     user_id) -> None:
    cache.set(f"saml-request:{request_id}", {"org": str(provider.organization_id), "next": next_url, "test": test,
                                             "user": user_id, "binding": _digest(binding)}, PENDING_SECONDS)


def take_request(provider: IdentityProvider, request_id: str, *, binding: str) -> dict:
    """The pending AuthnRequest a response answers, used up; refused when unknown, already answered, of
    another organization, or started in another browser."""
    key = f"saml-request:{request_id}"
    pending = cache.get(key)
    if not pending or pending["org"] != str(provider.organization_id):
        raise refuse(provider, f"InResponseTo {request_id!r} is not a pending request")
    if pending["binding"] != _digest(binding):
        raise refuse(provider, "response delivered to another browser than the request's")
    cache.delete(key)
    return pending


def remember_logout(provider: IdentityProvider, request_id: str) -> None:
    cache.set(f"saml-logout:{request_id}", str(provider.organization_id), PENDING_SECONDS)


def take_logout(provider: IdentityProvider, request_id: str) -> bool:
    key = f"saml-logout:{request_id}"
    found = cache.get(key) == str(provider.organization_id)
    cache.delete(key)
    return found


# --- the response --------------------------------------------------------------------------------------

def _parser():
    """No entities, no network, no DTD; comments kept (python3-saml reads node text without them)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_response(provider: IdentityProvider, encoded: str) -> etree._Element:
    """Decode and pre-check a SAMLResponse: the checks python3-saml leaves to us."""
    if not encoded or len(encoded) > MAX_MESSAGE:
        raise refuse(provider, "missing or oversized SAMLResponse")
    try:
        xml = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise refuse(provider, "SAMLResponse is not base64") from None
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError:
        raise refuse(provider, "SAMLResponse is not XML") from None
    if root.getroottree().docinfo.doctype:
        raise refuse(provider, "SAMLResponse carries a DTD")
    if root.tag != f"{{{C.NS_SAMLP}}}Response":
        raise refuse(provider, "SAMLResponse is not a samlp:Response")
    if root.xpath("//saml:EncryptedAssertion", namespaces=NS):
        raise refuse(provider, "encrypted assertion (token encryption is not supported)")
    if len(root.xpath("//samlp:Response", namespaces=NS)) != 1:
        raise refuse(provider, "more than one Response element (signature wrapping)")
    if len(root.xpath("//saml:Assertion", namespaces=NS)) != 1:
        raise refuse(provider, "not exactly one Assertion element (signature wrapping)")
    for transform in root.xpath("//ds:Transform", namespaces=NS):
        if transform.get("Algorithm") not in ALLOWED_TRANSFORMS:
            raise refuse(provider, f"signature transform {transform.get('Algorithm')!r} not allowed")
    assertion = root.xpath("//saml:Assertion", namespaces=NS)[0]
    if assertion.getparent() is not root:
        raise refuse(provider, "assertion is not a child of the Response (signature wrapping)")
    signed = {ref.get("URI") for ref in assertion.xpath("ds:Signature/ds:SignedInfo/ds:Reference", namespaces=NS)}
    if signed != {"#" + (assertion.get("ID") or "")}:
        raise refuse(provider, "the assertion is not signed by its own enveloped signature")
    _check_issue_instant(provider, assertion.get("IssueInstant"))
    return root


def _check_issue_instant(provider, value: str | None) -> None:
    """python3-saml checks Conditions and SubjectConfirmationData times but not IssueInstant: bound the age."""
    try:
        issued = datetime.datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        raise refuse(provider, f"assertion IssueInstant {value!r} unreadable") from None
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=datetime.UTC)
    now = datetime.datetime.now(datetime.UTC)
    if issued > now + CLOCK_SKEW or issued < now - MAX_AGE - CLOCK_SKEW:
        raise refuse(provider, f"assertion issued at {value}, outside the accepted window")


def in_response_to(root) -> str | None:
    return root.get("InResponseTo") or None


def process_response(provider: IdentityProvider, request, *, request_id: str | None) -> tuple[Identity, dict]:
    """Verify the posted SAMLResponse (`request_id`: the AuthnRequest we sent, None for an IdP-initiated
    sign-in) and use its assertion up. Returns the identity and what single logout needs later."""
    parse_response(provider, request.POST.get("SAMLResponse", ""))
    auth = _auth(provider, request)
    try:
        auth.process_response(request_id=request_id)
    except Exception as error:  # noqa: BLE001 - python3-saml raises for malformed input, refuse it the same way
        raise refuse(provider, f"invalid response: {error}") from None
    if auth.get_errors() or not auth.is_authenticated():
        raise refuse(provider, f"invalid response: {auth.get_last_error_reason() or auth.get_errors()}")
    assertion_id = auth.get_last_assertion_id()
    if not assertion_id:
        raise refuse(provider, "assertion without ID")
    expires = auth.get_last_assertion_not_on_or_after()
    expires_at = (datetime.datetime.fromtimestamp(expires, datetime.UTC) if expires
                  else datetime.datetime.now(datetime.UTC) + ASSERTION_LIFETIME)
    use_assertion_once(provider, assertion_id, expires_at)
    claims = dict(auth.get_attributes())
    name_id = auth.get_nameid() or ""
    if name_id and auth.get_nameid_format() == C.NAMEID_EMAIL_ADDRESS and not any(
            k.lower().rsplit("/", 1)[-1] in ("email", "emailaddress", provider.claim("email").lower()) for k in claims):
        claims[provider.claim("email")] = [name_id]  # Name ID "E-mail address" and no e-mail attribute
    slo = {"name_id": name_id, "name_id_format": auth.get_nameid_format(), "name_id_nq": auth.get_nameid_nq(),
           "name_id_spnq": auth.get_nameid_spnq(), "session_index": auth.get_session_index()}
    return Identity(issuer=provider.saml_idp_entity_id, subject=name_id, claims=claims), slo


# --- single logout -------------------------------------------------------------------------------------

def logout_redirect(provider: IdentityProvider, request, slo: dict, return_to: str) -> tuple[str, str] | None:
    """URL of the provider's logout with a signed LogoutRequest, and its ID; None without an SLO URL."""
    if not provider.saml_slo_url:
        return None
    auth = _auth(provider, request)
    url = auth.logout(return_to=return_to, name_id=slo.get("name_id"), session_index=slo.get("session_index"),
                      name_id_format=slo.get("name_id_format"), nq=slo.get("name_id_nq"),
                      spnq=slo.get("name_id_spnq"))
    return url, auth.get_last_request_id()


def process_logout(provider: IdentityProvider, request, *, session_name_id: str | None, end_session) -> str | None:
    """Handle what arrives at the SLS. Messages must be signed.

    - a LogoutResponse: it must answer a LogoutRequest we sent (remember_logout), once;
    - the provider's LogoutRequest: the browser is signed out (`end_session()`) only when the request names the
      Name ID this browser signed in with. Returns the URL of our LogoutResponse to the provider."""
    is_request = "SAMLRequest" in request.GET
    if not is_request and "SAMLResponse" not in request.GET:
        raise refuse(provider, "logout without SAMLRequest or SAMLResponse")
    if not request.GET.get("Signature"):
        raise refuse(provider, "unsigned logout message")
    message = _inflate(provider, request.GET["SAMLRequest" if is_request else "SAMLResponse"])
    request_id = None
    if is_request:
        name_ids = message.xpath("//saml:NameID", namespaces=NS)
        named = "".join(name_ids[0].itertext()).strip() if name_ids else ""
        if not session_name_id or named != session_name_id:
            end_session = _keep_session  # another user's (or no) session in this browser: nothing to end
    else:
        request_id = message.get("InResponseTo") or ""
        if not take_logout(provider, request_id):
            raise refuse(provider, f"LogoutResponse to {request_id!r}, not a logout we started")
    auth = _auth(provider, request)
    try:
        url = auth.process_slo(request_id=request_id, delete_session_cb=end_session, keep_local_session=False)
    except Exception as error:  # noqa: BLE001
        raise refuse(provider, f"invalid logout message: {error}") from None
    if auth.get_errors():
        raise refuse(provider, f"invalid logout message: {auth.get_last_error_reason() or auth.get_errors()}")
    return url


def _keep_session() -> None:
    pass


def _inflate(provider, encoded: str):
    """A redirect-binding message: base64 of raw deflate, bounded before and after inflating."""
    if len(encoded) > MAX_MESSAGE:
        raise refuse(provider, "oversized logout message")
    try:
        inflated = zlib.decompressobj(-15).decompress(base64.b64decode(encoded), MAX_MESSAGE)
    except (binascii.Error, zlib.error, ValueError):
        raise refuse(provider, "logout message is not deflated base64") from None
    if len(inflated) >= MAX_MESSAGE:
        raise refuse(provider, "oversized logout message")
    try:
        return etree.fromstring(inflated, _parser())
    except etree.XMLSyntaxError:
        raise refuse(provider, "logout message is not XML") from None
