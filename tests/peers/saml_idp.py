"""A real SAML 2.0 identity provider for the federation tests, built on pysaml2 (xmlsec1 binary backend).

Run it standalone:

    python -m tests.peers.saml_idp --port P --users users.json [--key-dir DIR] [--sign-response]

It prints one line `READY <base_url>` on stdout once it listens (`--port 0` picks a free port). Endpoints:

    GET  /metadata                 IdP metadata (the entity ID is this URL)
    GET  /cert.pem                 the signing certificate
    POST /_admin/trust             body: SP metadata XML; the IdP then answers that SP (204)
    POST /_admin/trust-url         body: a loopback URL serving SP metadata (204)
    GET  /sso/redirect             AuthnRequest (HTTP-Redirect binding) -> login page
    POST /sso/login                username/password -> auto-posting form with the SAMLResponse to the ACS
    GET  /idp-initiated?sp=&user=&relay_state=   unsolicited response for that user (no password)
    GET  /slo/redirect             LogoutRequest -> signed LogoutResponse redirected to the SP's SLS;
                                   a LogoutResponse (answer to /slo/start) -> a "signed out" page
    GET  /slo/start?sp=&name_id=&relay_state=    IdP-initiated LogoutRequest redirected to the SP's SLS

users.json: {"jane": {"password": "...", "name_id": "jane@example.test",
                      "attributes": {"email": ["jane@example.test"], "givenname": ["Jane"], ...}}}

Tests use `start_idp(users, tmp_path)` (a context manager running this module as a subprocess) or, for
negative tests without a server, `tests.peers.saml_tools.TestIdP`, which shares `IdentityProvider` below.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import html
import ipaddress
import json
import os
import select
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from xml.sax.saxutils import quoteattr

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.assertion import Policy
from saml2.attribute_converter import AttributeConverter
from saml2.config import IdPConfig
from saml2.mdstore import InMemoryMetaData
from saml2.metadata import entity_descriptor
from saml2.s_utils import do_ava, factory
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.time_util import in_a_while
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

REPO_ROOT = Path(__file__).resolve().parents[2]
XMLSEC1_MISSING = "needs the Debian package xmlsec1 (apt-get install xmlsec1)"
LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
# RSA signature algorithms accepted on redirect-binding query signatures
REDIRECT_SIG_HASHES = {
    "http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": hashes.SHA512,
}


class SamlPeerError(Exception):
    """A request the IdP refuses (answered 400 by the web app)."""


def xmlsec1_binary() -> str | None:
    """The xmlsec1 program pysaml2 signs with (Debian package xmlsec1), or None."""
    if os.path.exists("/usr/bin/xmlsec1"):
        return "/usr/bin/xmlsec1"
    return shutil.which("xmlsec1")


def require_xmlsec1() -> str:
    """For tests: the xmlsec1 path, else skip (locally) or fail (CI sets LEXCLOUD_REQUIRE_SERVICES)."""
    import pytest

    binary = xmlsec1_binary()
    if binary:
        return binary
    if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
        pytest.fail(f"the SAML test IdP {XMLSEC1_MISSING}")
    pytest.skip(XMLSEC1_MISSING)


# --- keys and configuration -------------------------------------------------------------------------------


def ensure_key_pair(key_dir: Path, common_name: str = "lexcloud test IdP") -> tuple[Path, Path]:
    """Load key.pem/cert.pem from key_dir, or create a self-signed RSA-2048 pair there."""
    key_dir = Path(key_dir)
    key_file, cert_file = key_dir / "key.pem", key_dir / "cert.pem"
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    key_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def policy_spec(lifetime_minutes: float = 5) -> dict:
    """pysaml2 release policy: nothing filtered, plain (basic) attribute names, short-lived assertions."""
    return {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_BASIC}}


def idp_config(base_url: str, key_file: Path, cert_file: Path, *, sign_response: bool = False,
               xmlsec_binary: str | None = None) -> IdPConfig:
    """The pysaml2 IdPConfig shared by the server and TestIdP. The entity ID is `{base_url}/metadata`."""
    base_url = base_url.rstrip("/")
    conf = IdPConfig()
    conf.load({
        "entityid": f"{base_url}/metadata",
        "name": "lexcloud test IdP",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "crypto_backend": "xmlsec1",
        "xmlsec_binary": xmlsec_binary or xmlsec1_binary() or "/usr/bin/xmlsec1",
        "delete_tmpfiles": True,
        "accepted_time_diff": 60,
        "metadata": {"inline": []},  # an empty store: SPs are added by trust()
        "service": {
            "idp": {
                "name": "lexcloud test IdP",
                "endpoints": {
                    "single_sign_on_service": [(f"{base_url}/sso/redirect", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{base_url}/slo/redirect", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                # checked per SP (its AuthnRequestsSigned) by IdentityProvider, not globally by pysaml2
                "want_authn_requests_signed": False,
                "sign_assertion": True,
                "sign_response": sign_response,
                # pysaml2 defaults to rsa-sha1/sha1: strict SPs rejecting deprecated algorithms refuse those
                "signing_algorithm": SIG_RSA_SHA256,
                "digest_algorithm": DIGEST_SHA256,
                "policy": policy_spec(),
            },
        },
    })
    # pysaml2's bundled attribute maps would rename e.g. `givenname` to urn:mace:...; keep names as given
    conf.attribute_converters = [PassThroughConverter(NAME_FORMAT_BASIC)]
    return conf


class PassThroughConverter(AttributeConverter):
    """Emits every attribute under its own name (NameFormat basic) and reads names back unchanged."""

    def to_(self, attrvals):
        return [factory(saml.Attribute, name=key, name_format=self.name_format, attribute_value=do_ava(value))
                for key, value in attrvals.items()]

    def from_format(self, attr):
        return attr.name

    def to_format(self, attr):
        return factory(saml.Attribute, name=attr, name_format=self.name_format)


class ReleasePolicy(Policy):
    """Releases every attribute (ignores the SP's requested attributes) and lets tests shift the validity
    window: NotBefore = now + not_before_offset, NotOnOrAfter = now + lifetime_minutes, Audience."""

    def __init__(self, mds, *, lifetime_minutes: float = 5, not_before_offset: float | dt.timedelta = 0,
                 audience: str | None = None):
        super().__init__(policy_spec(lifetime_minutes), mds)
        self.lifetime_minutes = lifetime_minutes
        if isinstance(not_before_offset, dt.timedelta):
            not_before_offset = not_before_offset.total_seconds()
        self.not_before_offset = not_before_offset
        self.audience = audience

    def restrict(self, ava, sp_entity_id, metadata=None):
        return dict(ava)

    def not_on_or_after(self, sp_entity_id):
        return in_a_while(seconds=int(self.lifetime_minutes * 60))

    def conditions(self, sp_entity_id):
        audience = self.audience if self.audience is not None else sp_entity_id
        return factory(
            saml.Conditions,
            not_before=in_a_while(seconds=int(self.not_before_offset)),
            not_on_or_after=self.not_on_or_after(sp_entity_id),
            audience_restriction=[factory(saml.AudienceRestriction, audience=[factory(saml.Audience, text=audience)])],
        )


def stub_sp_metadata(sp_entity_id: str, acs_url: str) -> str:
    """Minimal SP metadata (one HTTP-POST ACS), for answering an SP whose real metadata was never loaded."""
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f"entityID={quoteattr(sp_entity_id)}>"
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location={quoteattr(acs_url)} index="0"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


# --- the SAML side, without HTTP ---------------------------------------------------------------------------


@dataclass
class AuthnInfo:
    """What the IdP keeps of a verified AuthnRequest."""

    request_id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str = ""
    signed: bool = False


@dataclass
class LogoutInfo:
    """A verified LogoutRequest (SP-initiated) or LogoutResponse (answer to an IdP-initiated logout)."""

    kind: str  # "request" or "response"
    sp_entity_id: str
    redirect_url: str = ""  # where to send the browser (LogoutResponse to the SP's SLS), requests only
    status: str = ""
    name_id: str = ""
    extra: dict = field(default_factory=dict)


class IdentityProvider:
    """A pysaml2 `Server` plus the glue both the web app and TestIdP use."""

    def __init__(self, base_url: str, key_dir: Path, *, sign_response: bool = False):
        self.base_url = base_url.rstrip("/")
        self.key_file, self.cert_file = ensure_key_pair(key_dir)
        self.sign_response = sign_response
        self.config = idp_config(self.base_url, self.key_file, self.cert_file, sign_response=sign_response)
        self.server = Server(config=self.config)
        self.lock = threading.RLock()  # pysaml2 keeps shared mutable state (signers, session store)

    # identity of this IdP
    @property
    def entity_id(self) -> str:
        return self.config.entityid

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    @property
    def slo_url(self) -> str:
        return f"{self.base_url}/slo/redirect"

    @property
    def cert_pem(self) -> str:
        return self.cert_file.read_text()

    @property
    def metadata_xml(self) -> str:
        with self.lock:
            descriptor = entity_descriptor(self.config)
        # advertise what our SPs do; the check itself is per SP (see parse_authn_request)
        descriptor.idpsso_descriptor.want_authn_requests_signed = "true"
        return descriptor.to_string().decode()

    # service providers
    def trust(self, sp_metadata_xml: str | bytes) -> list[str]:
        """Load SP metadata; a later copy for the same entity ID replaces the earlier one."""
        if isinstance(sp_metadata_xml, bytes):
            sp_metadata_xml = sp_metadata_xml.decode()
        store = self.server.metadata
        md = InMemoryMetaData(store.attrc, sp_metadata_xml)
        try:
            md.load()
        except Exception as exc:
            raise SamlPeerError(f"unreadable SP metadata: {exc}") from exc
        entity_ids = list(md.keys())
        if not entity_ids:
            raise SamlPeerError("the SP metadata holds no (valid) EntityDescriptor")
        with self.lock:
            for source in store.metadata.values():
                for eid in entity_ids:
                    if eid in source:
                        del source[eid]
            store.metadata[f"trusted:{' '.join(entity_ids)}"] = md
        return entity_ids

    def knows(self, sp_entity_id: str) -> bool:
        try:
            self.server.metadata[sp_entity_id]
        except KeyError:
            return False
        return True

    def _sp(self, sp_entity_id: str) -> dict:
        try:
            return self.server.metadata[sp_entity_id]["spsso_descriptor"][0]
        except (KeyError, IndexError):
            raise SamlPeerError(f"unknown service provider {sp_entity_id!r}: POST its metadata to "
                                f"/_admin/trust first") from None

    def sp_endpoint(self, sp_entity_id: str, service: str, binding: str) -> str:
        for srv in self._sp(sp_entity_id).get(service, []):
            if srv.get("binding") == binding:
                return srv["location"]
        raise SamlPeerError(f"{sp_entity_id} has no {service} with binding {binding}")

    def acs_url(self, sp_entity_id: str) -> str:
        return self.sp_endpoint(sp_entity_id, "assertion_consumer_service", BINDING_HTTP_POST)

    def sls_url(self, sp_entity_id: str) -> str:
        return self.sp_endpoint(sp_entity_id, "single_logout_service", BINDING_HTTP_REDIRECT)

    def wants_signed_requests(self, sp_entity_id: str) -> bool:
        return str(self._sp(sp_entity_id).get("authn_requests_signed", "false")).lower() in ("true", "1")

    # redirect-binding signatures
    def verify_redirect_signature(self, sp_entity_id: str, params: dict[str, str], raw_query: str | None,
                                  kind: str) -> None:
        """Check SigAlg/Signature over `kind=..&RelayState=..&SigAlg=..` with the SP's signing certificates.
        The spec signs the octets as received, so the raw query string is tried first and the canonical
        re-encoding (what python3-saml and pysaml2 produce) second."""
        sigalg, signature = params.get("SigAlg"), params.get("Signature")
        if not sigalg or not signature:
            raise SamlPeerError("the request is not signed but the SP metadata says AuthnRequestsSigned")
        hash_cls = REDIRECT_SIG_HASHES.get(sigalg)
        if hash_cls is None:
            raise SamlPeerError(f"unsupported SigAlg {sigalg}")
        order = [kind, "RelayState", "SigAlg"]
        candidates = []
        if raw_query:
            raw = dict(part.split("=", 1) for part in raw_query.split("&") if "=" in part)
            candidates.append("&".join(f"{k}={raw[k]}" for k in order if k in raw))
        candidates.append("&".join(urllib.parse.urlencode({k: params[k]}) for k in order if k in params))
        try:
            sig = base64.b64decode(signature)
        except ValueError as exc:
            raise SamlPeerError("the Signature is not base64") from exc
        with self.lock:
            certs = [cert for _name, cert in self.server.metadata.certs(sp_entity_id, "any", "signing")]
        for cert_b64 in certs:
            public_key = x509.load_der_x509_certificate(base64.b64decode(cert_b64)).public_key()
            for octets in candidates:
                try:
                    public_key.verify(sig, octets.encode("ascii"), padding.PKCS1v15(), hash_cls())
                    return
                except (InvalidSignature, ValueError, TypeError):
                    continue
        raise SamlPeerError(f"bad redirect-binding signature from {sp_entity_id}")

    # single sign-on
    def parse_authn_request(self, params: dict[str, str], raw_query: str | None = None) -> AuthnInfo:
        """Parse and check an AuthnRequest received over the HTTP-Redirect binding."""
        saml_request = params.get("SAMLRequest")
        if not saml_request:
            raise SamlPeerError("SAMLRequest is missing")
        with self.lock:
            try:
                req = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
            except Exception as exc:
                raise SamlPeerError(f"invalid AuthnRequest: {exc}") from exc
            if req is None:
                raise SamlPeerError("invalid AuthnRequest")
            message = req.message
            sp_entity_id = message.issuer.text.strip() if message.issuer is not None else ""
            self._sp(sp_entity_id)
        signed = bool(params.get("Signature"))
        if signed or self.wants_signed_requests(sp_entity_id):
            self.verify_redirect_signature(sp_entity_id, params, raw_query, "SAMLRequest")
        with self.lock:
            try:
                info = self.server.response_args(message, [BINDING_HTTP_POST])
            except Exception as exc:
                raise SamlPeerError(f"no usable AssertionConsumerService for {sp_entity_id}: {exc}") from exc
        return AuthnInfo(request_id=message.id, sp_entity_id=sp_entity_id, acs_url=info["destination"],
                         relay_state=params.get("RelayState", ""), signed=signed)

    def authn_response(self, *, sp_entity_id: str, acs_url: str, name_id: str, attributes: dict,
                       in_response_to: str | None = None, sign_assertion: bool = True,
                       sign_response: bool | None = None, lifetime_minutes: float = 5,
                       not_before_offset: float | dt.timedelta = 0, audience: str | None = None) -> str:
        """A signed SAML Response (XML text) made by pysaml2's Server.create_authn_response."""
        if sign_response is None:
            sign_response = self.sign_response
        identity = {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in attributes.items()}
        with self.lock:
            policy = ReleasePolicy(self.server.metadata, lifetime_minutes=lifetime_minutes,
                                   not_before_offset=not_before_offset, audience=audience)
            response = self.server.create_authn_response(
                identity=identity,
                in_response_to=in_response_to,
                destination=acs_url,
                sp_entity_id=sp_entity_id,
                name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
                authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED, "authn_auth": self.entity_id},
                sign_assertion=sign_assertion,
                sign_response=sign_response,
                release_policy=policy,
            )
        return response if isinstance(response, str) else str(response)

    # single logout
    def handle_logout(self, params: dict[str, str], raw_query: str | None = None) -> LogoutInfo:
        """A LogoutRequest from an SP (answered with a signed LogoutResponse to its SLS), or the SP's
        LogoutResponse to our IdP-initiated LogoutRequest."""
        if params.get("SAMLResponse"):
            return self._logout_response(params, raw_query)
        if not params.get("SAMLRequest"):
            raise SamlPeerError("SAMLRequest or SAMLResponse is missing")
        with self.lock:
            try:
                req = self.server.parse_logout_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT)
            except Exception as exc:
                raise SamlPeerError(f"invalid LogoutRequest: {exc}") from exc
            if req is None:
                raise SamlPeerError("invalid LogoutRequest")
            message = req.message
            sp_entity_id = message.issuer.text.strip()
            self._sp(sp_entity_id)
        if params.get("Signature"):
            self.verify_redirect_signature(sp_entity_id, params, raw_query, "SAMLRequest")
        with self.lock:
            response = self.server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
            http = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(response), response.destination,
                                             params.get("RelayState", ""), response=True, sign=True,
                                             sigalg=SIG_RSA_SHA256)
        name_id = message.name_id.text if message.name_id is not None else ""
        return LogoutInfo("request", sp_entity_id, redirect_url=dict(http["headers"])["Location"],
                          status="urn:oasis:names:tc:SAML:2.0:status:Success", name_id=name_id)

    def _logout_response(self, params: dict[str, str], raw_query: str | None) -> LogoutInfo:
        with self.lock:
            try:
                resp = self.server.parse_logout_request_response(params["SAMLResponse"], BINDING_HTTP_REDIRECT)
            except Exception as exc:
                raise SamlPeerError(f"invalid LogoutResponse: {exc}") from exc
            if resp is None:
                raise SamlPeerError("invalid LogoutResponse")
            sp_entity_id = resp.response.issuer.text.strip()
        if params.get("Signature"):
            self.verify_redirect_signature(sp_entity_id, params, raw_query, "SAMLResponse")
        status = resp.response.status.status_code.value
        return LogoutInfo("response", sp_entity_id, status=status)

    def logout_request_url(self, sp_entity_id: str, name_id: str, relay_state: str = "") -> str:
        """URL sending an IdP-initiated, redirect-signed LogoutRequest for name_id to the SP's SLS."""
        destination = self.sls_url(sp_entity_id)
        with self.lock:
            _request_id, request = self.server.create_logout_request(
                destination, sp_entity_id, name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=name_id),
                sign=False, expire=in_a_while(minutes=5))
            http = self.server.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination, relay_state,
                                             sign=True, sigalg=SIG_RSA_SHA256)
        return dict(http["headers"])["Location"]


# --- the web app -------------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body{body_attrs}>
{content}
</body></html>
"""


def page(title: str, content: str, body_attrs: str = "") -> bytes:
    return PAGE.format(title=html.escape(title), content=content, body_attrs=body_attrs).encode()


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'


def auto_post_page(action: str, fields: dict[str, str]) -> bytes:
    """The HTTP-POST binding: a form that submits itself, with a Continue button for no-JS clients."""
    inputs = "\n".join(hidden(k, v) for k, v in fields.items() if v)
    return page("Signing you in", (
        f'<form method="post" action="{html.escape(action)}">\n{inputs}\n'
        "<noscript><p>JavaScript is off: press Continue.</p></noscript>\n"
        '<button type="submit">Continue</button>\n</form>'
    ), body_attrs=' onload="document.forms[0].submit()"')


class IdpApp:
    """The WSGI application around an IdentityProvider; users are re-read from users.json on each use."""

    def __init__(self, idp: IdentityProvider, users_file: Path):
        self.idp = idp
        self.users_file = Path(users_file)

    def users(self) -> dict:
        return json.loads(self.users_file.read_text())

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        query = environ.get("QUERY_STRING", "")
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        routes = {
            ("GET", "/metadata"): self.metadata,
            ("GET", "/cert.pem"): self.cert,
            ("POST", "/_admin/trust"): self.trust,
            ("POST", "/_admin/trust-url"): self.trust_url,
            ("GET", "/sso/redirect"): self.sso,
            ("POST", "/sso/login"): self.login,
            ("GET", "/idp-initiated"): self.idp_initiated,
            ("GET", "/slo/redirect"): self.slo,
            ("GET", "/slo/start"): self.slo_start,
        }
        handler = routes.get((method, path))
        if handler is None:
            known = {p for _m, p in routes}
            status = "405 Method Not Allowed" if path in known else "404 Not Found"
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [status.encode()]
        try:
            status, headers, body = handler(environ, params, query)
        except SamlPeerError as exc:
            status, headers, body = "400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")], \
                f"{exc}\n".encode()
        except Exception as exc:  # a test peer: say what broke instead of a bare 500
            traceback.print_exc()  # into the log file
            status, headers, body = "500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], \
                f"{type(exc).__name__}: {exc}\n".encode()
        start_response(status, headers + [("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
        return [body]

    @staticmethod
    def read_body(environ) -> bytes:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return environ["wsgi.input"].read(length) if length else b""

    def form(self, environ) -> dict[str, str]:
        body = self.read_body(environ).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}

    html_type = [("Content-Type", "text/html; charset=utf-8")]

    def metadata(self, environ, params, query):
        return "200 OK", [("Content-Type", "application/samlmetadata+xml")], self.idp.metadata_xml.encode()

    def cert(self, environ, params, query):
        return "200 OK", [("Content-Type", "application/x-pem-file")], self.idp.cert_pem.encode()

    def trust(self, environ, params, query):
        self.idp.trust(self.read_body(environ))
        return "204 No Content", [], b""

    def trust_url(self, environ, params, query):
        url = self.read_body(environ).decode().strip()
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
            raise SamlPeerError(f"only loopback metadata URLs are fetched, not {url!r}")
        with urllib.request.urlopen(url, timeout=15) as resp:  # loopback checked above
            self.idp.trust(resp.read())
        return "204 No Content", [], b""

    def login_page(self, fields: dict[str, str], sp_entity_id: str, error: str = "") -> bytes:
        err = f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
        inputs = "\n".join(hidden(k, v) for k, v in fields.items() if v)
        return page("Test IdP sign-in", (
            "<h1>Test identity provider</h1>\n"
            f"<p>Sign in to continue to <code>{html.escape(sp_entity_id)}</code>.</p>\n{err}"
            '<form method="post" action="/sso/login">\n'
            '<p><label>Username <input name="username" autocomplete="username" autofocus></label></p>\n'
            '<p><label>Password <input type="password" name="password" autocomplete="current-password">'
            "</label></p>\n"
            f"{inputs}\n"
            '<button type="submit">Sign in</button>\n</form>'
        ))

    @staticmethod
    def request_fields(params: dict[str, str]) -> dict[str, str]:
        return {k: params.get(k, "") for k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")}

    def sso(self, environ, params, query):
        info = self.idp.parse_authn_request(params, query)
        return "200 OK", self.html_type, self.login_page(self.request_fields(params), info.sp_entity_id)

    def login(self, environ, params, query):
        form = self.form(environ)
        fields = self.request_fields(form)
        info = self.idp.parse_authn_request(fields)  # re-checked: hidden fields come back from the browser
        user = self.users().get(form.get("username", ""))
        if not user or user.get("password") != form.get("password"):
            body = self.login_page(fields, info.sp_entity_id, "Unknown user or wrong password.")
            return "401 Unauthorized", self.html_type, body
        return self.respond(info.sp_entity_id, info.acs_url, user, info.request_id, info.relay_state)

    def respond(self, sp_entity_id, acs_url, user, in_response_to, relay_state):
        xml = self.idp.authn_response(sp_entity_id=sp_entity_id, acs_url=acs_url, name_id=user["name_id"],
                                      attributes=user.get("attributes", {}), in_response_to=in_response_to)
        saml_response = base64.b64encode(xml.encode()).decode()
        body = auto_post_page(acs_url, {"SAMLResponse": saml_response, "RelayState": relay_state})
        return "200 OK", self.html_type, body

    def idp_initiated(self, environ, params, query):
        sp_entity_id, username = params.get("sp", ""), params.get("user", "")
        user = self.users().get(username)
        if user is None:
            raise SamlPeerError(f"unknown user {username!r}")
        acs_url = self.idp.acs_url(sp_entity_id)
        return self.respond(sp_entity_id, acs_url, user, None, params.get("relay_state", ""))

    def slo(self, environ, params, query):
        info = self.idp.handle_logout(params, query)
        if info.kind == "request":
            return "303 See Other", [("Location", info.redirect_url)], b""
        ok = info.status.endswith(":Success")
        text = "You are signed out." if ok else "The service provider did not sign you out."
        return "200 OK", self.html_type, page("Signed out", (
            f"<h1>{html.escape(text)}</h1>\n<p>Service provider <code>{html.escape(info.sp_entity_id)}</code> "
            f'answered <code id="logout-status">{html.escape(info.status)}</code>.</p>'
        ))

    def slo_start(self, environ, params, query):
        url = self.idp.logout_request_url(params.get("sp", ""), params.get("name_id", ""),
                                          params.get("relay_state", ""))
        return "303 See Other", [("Location", url)], b""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class QuietHandler(WSGIRequestHandler):
    """Request log lines go to stderr (the test log file), never stdout (only READY goes there)."""

    def log_message(self, format, *args):
        sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadingWSGIServerV6(ThreadingWSGIServer):
    address_family = socket.AF_INET6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--users", required=True, type=Path, help="users.json")
    parser.add_argument("--key-dir", type=Path, help="where key.pem/cert.pem are kept (default: a temp dir)")
    parser.add_argument("--sign-response", action="store_true", help="sign the Response too, not only the "
                        "Assertion")
    args = parser.parse_args(argv)
    if not is_loopback(args.host):
        parser.error("the test IdP only listens on loopback addresses")
    if not xmlsec1_binary():
        parser.error(XMLSEC1_MISSING)
    json.loads(args.users.read_text())  # fail early on a broken users file

    server_class = ThreadingWSGIServerV6 if ":" in args.host else ThreadingWSGIServer
    httpd = make_server(args.host, args.port, None, server_class=server_class, handler_class=QuietHandler)
    port = httpd.server_address[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{port}"
    with contextlib.ExitStack() as stack:
        key_dir = args.key_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="saml-idp-")))
        idp = IdentityProvider(base_url, key_dir, sign_response=args.sign_response)
        httpd.set_app(IdpApp(idp, args.users))
        # SIGTERM (IdpProcess.stop) unwinds like Ctrl-C, so the temporary key directory is removed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"READY {base_url}", flush=True)
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            httpd.server_close()


# --- the pytest side ---------------------------------------------------------------------------------------


class IdpProcess:
    """A running `python -m tests.peers.saml_idp`, used as a context manager (see start_idp)."""

    def __init__(self, users: dict, tmp_path: Path, *, sign_response: bool = False, timeout: float = 20):
        self.tmp_path = Path(tmp_path)
        self.users_file = self.tmp_path / "saml-idp-users.json"
        self.key_dir = self.tmp_path / "saml-idp-keys"
        self.log_path = self.tmp_path / "saml-idp.log"
        self.sign_response = sign_response
        self.timeout = timeout
        self.users = users
        self.proc: subprocess.Popen | None = None
        self.base_url = ""

    # lifecycle
    def __enter__(self) -> IdpProcess:
        require_xmlsec1()
        self.users_file.write_text(json.dumps(self.users, indent=2))
        cmd = [sys.executable, "-m", "tests.peers.saml_idp", "--port", "0", "--users", str(self.users_file),
               "--key-dir", str(self.key_dir)]
        if self.sign_response:
            cmd.append("--sign-response")
        self._log = open(self.log_path, "ab")  # closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=self._log,
                                     stdin=subprocess.DEVNULL, env=env)
        try:
            self.base_url = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + self.timeout
        line = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith(b"READY "):
                    return line.decode().split(None, 1)[1].strip()
                if not line:
                    break
        self._log.flush()
        log = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the SAML test IdP did not start within {self.timeout}s "
                           f"(exit code {self.proc.poll()}, stdout {line!r}); log:\n{log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "_log", None):
            self._log.close()

    # where it is
    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata"

    entity_id = metadata_url

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    @property
    def slo_url(self) -> str:
        return f"{self.base_url}/slo/redirect"

    @property
    def cert_pem(self) -> str:
        return (self.key_dir / "cert.pem").read_text()

    def url(self, path: str, **params: str) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"

    def idp_initiated_url(self, sp_entity_id: str, user: str, relay_state: str = "") -> str:
        return self.url("/idp-initiated", sp=sp_entity_id, user=user, relay_state=relay_state)

    def slo_start_url(self, sp_entity_id: str, name_id: str, relay_state: str = "") -> str:
        return self.url("/slo/start", sp=sp_entity_id, name_id=name_id, relay_state=relay_state)

    # admin calls
    def _post(self, path: str, body: bytes, content_type: str) -> None:
        req = urllib.request.Request(f"{self.base_url}{path}", data=body, method="POST",
                                     headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{path}: {exc.code} {exc.read().decode(errors='replace')}") from None

    def trust(self, sp_metadata_xml: str | bytes) -> None:
        body = sp_metadata_xml.encode() if isinstance(sp_metadata_xml, str) else sp_metadata_xml
        self._post("/_admin/trust", body, "application/samlmetadata+xml")

    def trust_url(self, url: str) -> None:
        self._post("/_admin/trust-url", url.encode(), "text/plain")


def start_idp(users: dict, tmp_path: Path, *, sign_response: bool = False, timeout: float = 20) -> IdpProcess:
    """`with start_idp({...}, tmp_path) as idp:` runs the test IdP on a free loopback port."""
    return IdpProcess(users, tmp_path, sign_response=sign_response, timeout=timeout)


if __name__ == "__main__":
    main()
