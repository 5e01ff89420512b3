"""The SAML test IdP itself: the pysaml2 server answers a python3-saml SP (strict mode) end to end, and the
in-process TestIdP's valid responses verify while its tampered ones are refused.

Tests named `test_python3_saml_alone_...` pin down what python3-saml does NOT check by itself: each is a
check our SP has to add on top of OneLogin_Saml2_Response.is_valid."""
import datetime as dt
import http.client
import http.server
import threading
import urllib.parse
import uuid
from html.parser import HTMLParser

import pytest
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.peers import saml_idp
from tests.peers.saml_idp import ensure_key_pair, start_idp
from tests.peers.saml_tools import (
    TestIdP,
    add_transform,
    decode,
    encrypt_like,
    inject_comment_in_name_id,
    set_audience,
    strip_signature,
    to_xml,
    verify_signatures,
    xsw_variants,
)

SP_HOST = "127.0.0.1:8000"  # the SP is never contacted: python3-saml only needs its URLs
SP_BASE = f"http://{SP_HOST}"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
JANE = {
    "password": "jane-pass",
    "name_id": "jane@example.test",
    "attributes": {"email": ["jane@example.test"], "givenname": ["Jane"], "surname": ["Doe"],
                   "badge": ["b-77"], "pin": ["4711"], "department": ["Print"], "costcenter": ["CC-1"],
                   "groups": ["printers", "scanners"]},
}
USERS = {"jane": JANE}


# --- an SP made of python3-saml settings ------------------------------------------------------------------


class Sp:
    """URLs and python3-saml settings of one organization's SP, as our Django SP lays them out."""

    def __init__(self, idp_settings: dict, key_dir=None, *, org=None, **security):
        self.org = org or uuid.uuid4()
        prefix = f"/federation/{self.org}/saml"
        self.entity_id = f"{SP_BASE}{prefix}/metadata/"
        self.acs_path, self.sls_path = f"{prefix}/acs/", f"{prefix}/sls/"
        sp = {"entityId": self.entity_id,
              "assertionConsumerService": {"url": f"{SP_BASE}{self.acs_path}", "binding": POST},
              "singleLogoutService": {"url": f"{SP_BASE}{self.sls_path}", "binding": REDIRECT},
              "NameIDFormat": EMAIL_FORMAT}
        sec = {"wantAssertionsSigned": True, "rejectDeprecatedAlgorithm": True}
        if key_dir is not None:  # a signing SP (AuthnRequests, logout messages)
            key_file, cert_file = ensure_key_pair(key_dir, "lexcloud test SP")
            sp.update(x509cert=cert_file.read_text(), privateKey=key_file.read_text())
            sec.update(authnRequestsSigned=True, logoutRequestSigned=True, logoutResponseSigned=True)
        sec.update(security)
        self.settings = {"strict": True, "debug": False, "sp": sp, "idp": idp_settings, "security": sec}

    @property
    def acs_url(self) -> str:
        return f"{SP_BASE}{self.acs_path}"

    def metadata(self) -> str:
        return OneLogin_Saml2_Settings(self.settings).get_sp_metadata().decode()

    def request_data(self, path: str, get_data=None, post_data=None) -> dict:
        # http_host carries the port: python3-saml deprecates the server_port key
        return {"https": "off", "http_host": SP_HOST, "script_name": path,
                "get_data": get_data or {}, "post_data": post_data or {}}

    def auth(self, path: str = "/", **kwargs) -> OneLogin_Saml2_Auth:
        return OneLogin_Saml2_Auth(self.request_data(path, **kwargs), self.settings)

    def check(self, saml_response: str, request_id: str | None = None) -> tuple[bool, str | None, object]:
        """(valid, error, response) of strict OneLogin_Saml2_Response validation at the ACS."""
        try:
            response = OneLogin_Saml2_Response(OneLogin_Saml2_Settings(self.settings), saml_response)
            valid = response.is_valid(self.request_data(self.acs_path, post_data={"SAMLResponse": saml_response}),
                                      request_id)
        except Exception as exc:  # python3-saml raises on some malformed input (e.g. EncryptedAssertion)
            return False, f"{type(exc).__name__}: {exc}", None
        return valid, response.get_error(), response


# --- plain HTTP against the server ------------------------------------------------------------------------


def fetch(method: str, url: str, form: dict | None = None, body: bytes | None = None):
    """(status, headers, text) without following redirects."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    headers = {}
    if form is not None:
        body = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode()
    finally:
        conn.close()


class FormParser(HTMLParser):
    """The first form of a page: its action and input values."""

    def __init__(self, text: str):
        super().__init__()
        self.action, self.fields = None, {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")


def query_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


@pytest.fixture(scope="module")
def idp_server(tmp_path_factory):
    with start_idp(USERS, tmp_path_factory.mktemp("idp")) as idp:
        yield idp


@pytest.fixture
def signing_sp(idp_server, tmp_path):
    idp_data = OneLogin_Saml2_IdPMetadataParser.parse(fetch("GET", idp_server.metadata_url)[2])["idp"]
    sp = Sp(idp_data, tmp_path / "sp-keys")
    idp_server.trust(sp.metadata())
    return sp


# --- (a) the server ---------------------------------------------------------------------------------------


def test_server_starts_on_a_free_port_serves_metadata_and_stops(tmp_path):
    with start_idp(USERS, tmp_path) as idp:
        host, port = urllib.parse.urlsplit(idp.base_url).hostname, urllib.parse.urlsplit(idp.base_url).port
        assert host == "127.0.0.1" and port > 0
        assert idp.entity_id == f"{idp.base_url}/metadata" == idp.metadata_url
        status, headers, text = fetch("GET", idp.metadata_url)
        assert status == 200 and headers["Content-Type"] == "application/samlmetadata+xml"
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(text)["idp"]
        assert parsed["entityId"] == idp.entity_id
        assert parsed["singleSignOnService"] == {"url": idp.sso_url, "binding": REDIRECT}
        assert parsed["singleLogoutService"] == {"url": idp.slo_url, "binding": REDIRECT}
        assert OneLogin_Saml2_Utils.format_cert(parsed["x509cert"]) == OneLogin_Saml2_Utils.format_cert(idp.cert_pem)
        assert fetch("GET", f"{idp.base_url}/cert.pem")[2] == idp.cert_pem
        assert fetch("GET", f"{idp.base_url}/nope")[0] == 404
        proc = idp.proc
    assert proc.poll() is not None
    with pytest.raises(OSError):
        fetch("GET", f"{idp.base_url}/metadata")


def test_key_dir_keeps_the_certificate_across_restarts(tmp_path):
    with start_idp(USERS, tmp_path) as first:
        cert = first.cert_pem
    with start_idp(USERS, tmp_path) as second:
        assert fetch("GET", f"{second.base_url}/cert.pem")[2] == cert


def test_missing_xmlsec1_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(saml_idp, "xmlsec1_binary", lambda: None)
    monkeypatch.delenv("LEXCLOUD_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install xmlsec1"):
        saml_idp.require_xmlsec1()
    monkeypatch.setenv("LEXCLOUD_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="xmlsec1"):
        saml_idp.require_xmlsec1()


def test_sign_in_through_the_login_page(idp_server, signing_sp):
    sp = signing_sp
    auth = sp.auth("/login/")
    login_url = auth.login(return_to="/dashboard/")
    request_id = auth.get_last_request_id()
    assert login_url.startswith(idp_server.sso_url) and "Signature=" in login_url

    status, _, page = fetch("GET", login_url)
    assert status == 200
    assert 'name="username"' in page and 'name="password"' in page and "Sign in" in page
    form = FormParser(page)
    assert form.action == "/sso/login" and form.fields["RelayState"] == "/dashboard/"

    status, _, page = fetch("POST", f"{idp_server.base_url}/sso/login",
                            form={**form.fields, "username": "jane", "password": "wrong"})
    assert status == 401 and "wrong password" in page and 'name="username"' in page

    status, _, page = fetch("POST", f"{idp_server.base_url}/sso/login",
                            form={**form.fields, "username": "jane", "password": "jane-pass"})
    assert status == 200
    assert '<body onload="document.forms[0].submit()">' in page and "Continue" in page
    posted = FormParser(page)
    assert posted.action == sp.acs_url and posted.fields["RelayState"] == "/dashboard/"

    acs = sp.auth(sp.acs_path, post_data={"SAMLResponse": posted.fields["SAMLResponse"],
                                          "RelayState": posted.fields["RelayState"]})
    acs.process_response(request_id=request_id)
    assert acs.get_errors() == [], acs.get_last_error_reason()
    assert acs.get_nameid() == "jane@example.test" and acs.get_nameid_format() == EMAIL_FORMAT
    assert acs.get_attributes() == JANE["attributes"]
    assert acs.get_session_index()


def test_tampered_or_unknown_authn_requests_are_refused(idp_server, signing_sp, tmp_path):
    login_url = signing_sp.auth("/login/").login(return_to="/dashboard/")
    tampered = login_url.replace("RelayState=%2Fdashboard%2F", "RelayState=%2Fevil%2F")
    assert tampered != login_url
    status, _, text = fetch("GET", tampered)
    assert status == 400 and "signature" in text
    unsigned = login_url.split("&SigAlg=")[0]
    status, _, text = fetch("GET", unsigned)
    assert status == 400 and "not signed" in text
    stranger = Sp(signing_sp.settings["idp"], tmp_path / "stranger")  # metadata never given to the IdP
    status, _, text = fetch("GET", stranger.auth("/login/").login())
    assert status == 400 and "unknown service provider" in text


def test_idp_initiated_response_is_unsolicited(idp_server, signing_sp):
    status, _, page = fetch("GET", idp_server.idp_initiated_url(signing_sp.entity_id, "jane", "/jobs/"))
    assert status == 200
    posted = FormParser(page)
    assert posted.action == signing_sp.acs_url and posted.fields["RelayState"] == "/jobs/"
    assert "InResponseTo" not in to_xml(posted.fields["SAMLResponse"])
    acs = signing_sp.auth(signing_sp.acs_path, post_data=posted.fields)
    acs.process_response(request_id=None)
    assert acs.get_errors() == [], acs.get_last_error_reason()
    assert acs.get_nameid() == "jane@example.test"


def test_sp_initiated_logout_gets_a_signed_logout_response(idp_server, signing_sp):
    auth = signing_sp.auth("/logout/")
    url = auth.logout(return_to="/signed-out/", name_id="jane@example.test", name_id_format=EMAIL_FORMAT)
    logout_id = auth.get_last_request_id()
    status, headers, _ = fetch("GET", url)
    assert status == 303
    location = headers["Location"]
    assert location.startswith(f"{SP_BASE}{signing_sp.sls_path}?")
    params = query_params(location)
    assert params["RelayState"] == "/signed-out/" and "Signature" in params and "SAMLResponse" in params
    sls = signing_sp.auth(signing_sp.sls_path, get_data=params)
    sls.process_slo(request_id=logout_id)
    assert sls.get_errors() == [], sls.get_last_error_reason()
    forged = signing_sp.auth(signing_sp.sls_path, get_data={**params, "RelayState": "/evil/"})
    forged.process_slo(request_id=logout_id)
    assert forged.get_errors() != []  # the query signature was checked


def test_idp_initiated_logout_round_trip(idp_server, signing_sp):
    status, headers, _ = fetch("GET", idp_server.slo_start_url(signing_sp.entity_id, "jane@example.test", "/r/"))
    assert status == 303
    params = query_params(headers["Location"])
    assert headers["Location"].startswith(f"{SP_BASE}{signing_sp.sls_path}?") and "Signature" in params
    sls = signing_sp.auth(signing_sp.sls_path, get_data=params)
    back_to_idp = sls.process_slo()
    assert sls.get_errors() == [], sls.get_last_error_reason()
    assert back_to_idp.startswith(idp_server.slo_url)
    status, _, page = fetch("GET", back_to_idp)
    assert status == 200 and "You are signed out." in page and "status:Success" in page


def test_trust_url_fetches_sp_metadata_from_loopback(idp_server, tmp_path):
    sp = Sp(signing_sp_idp_settings(idp_server), tmp_path / "sp")
    metadata = sp.metadata().encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(metadata)))
            self.end_headers()
            self.wfile.write(metadata)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert fetch("GET", sp.auth("/login/").login())[0] == 400  # not trusted yet
        idp_server.trust_url(f"http://127.0.0.1:{server.server_address[1]}/metadata/")
        assert fetch("GET", sp.auth("/login/").login())[0] == 200
        with pytest.raises(RuntimeError, match="loopback"):
            idp_server.trust_url("file:///etc/hostname")
        assert not saml_idp.is_loopback("192.0.2.1") and saml_idp.is_loopback("::1")
    finally:
        server.shutdown()
        server.server_close()


def test_trusting_again_replaces_the_sp_metadata(tmp_path):
    idp = TestIdP(tmp_path / "idp")
    first = Sp(idp.idp_settings(), tmp_path / "sp-1")
    second = Sp(idp.idp_settings(), tmp_path / "sp-2", org=first.org)  # same SP, new key pair
    assert idp.trust(first.metadata()) == idp.trust(second.metadata()) == [first.entity_id]
    certs = {"".join(cert.split()) for _name, cert in idp.idp.server.metadata.certs(first.entity_id, "any")}
    assert certs == {OneLogin_Saml2_Utils.format_cert(second.settings["sp"]["x509cert"], heads=False)}


def signing_sp_idp_settings(idp) -> dict:
    return OneLogin_Saml2_IdPMetadataParser.parse(fetch("GET", idp.metadata_url)[2])["idp"]


# --- (b) TestIdP responses verify -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def test_idp(tmp_path_factory):
    return TestIdP(tmp_path_factory.mktemp("test-idp"))


@pytest.fixture
def sp(test_idp):
    return Sp(test_idp.idp_settings())


def victim_response(test_idp, sp, **kwargs):
    args = {"sp_entity_id": sp.entity_id, "acs_url": sp.acs_url, "name_id": "victim@acme.test",
            "attributes": {"email": ["victim@acme.test"], "givenname": ["Vic"], "surname": ["Tim"]}}
    return test_idp.response(**{**args, **kwargs})


@pytest.mark.parametrize("sign_response", [False, True])
def test_valid_response_passes_strict_validation(test_idp, sp, sign_response):
    b64 = victim_response(test_idp, sp, in_response_to="ONELOGIN_req1", sign_response=sign_response)
    valid, error, response = sp.check(b64, "ONELOGIN_req1")
    assert valid, error
    assert response.get_nameid() == "victim@acme.test"
    assert response.get_attributes()["givenname"] == ["Vic"]
    root = decode(b64)
    assert root.get("InResponseTo") == "ONELOGIN_req1" and root.get("Destination") == sp.acs_url


def test_unsolicited_response_passes_only_without_a_request_id(test_idp, sp):
    b64 = victim_response(test_idp, sp)
    assert sp.check(b64)[0]
    answer = victim_response(test_idp, sp, in_response_to="ONELOGIN_other")
    valid, error, _ = sp.check(answer, "ONELOGIN_mine")
    assert not valid and "InResponseTo" in error


# --- (c) tampered responses are refused -------------------------------------------------------------------


def refused(sp, b64, *reasons):
    valid, error, _ = sp.check(b64)
    assert not valid, "python3-saml accepted a tampered response"
    assert any(reason in error for reason in reasons), error
    return error


def test_stripped_signature_is_refused(test_idp, sp):
    stripped = strip_signature(victim_response(test_idp, sp))
    refused(sp, stripped, "not signed", "No Signature")
    assert sp.check(test_idp.sign_assertion(stripped))[0]  # a fresh signature from the IdP key makes it whole


def test_wrong_audience_is_refused(test_idp, sp):
    b64 = victim_response(test_idp, sp)
    refused(sp, set_audience(b64, f"{SP_BASE}/federation/{uuid.uuid4()}/saml/metadata/", resign=True),
            "not a valid audience")
    refused(sp, set_audience(b64, "https://other.test/", resign=False), "not a valid audience", "Signature")
    refused(sp, victim_response(test_idp, sp, audience="https://other.test/"), "not a valid audience")


def test_expired_and_not_yet_valid_assertions_are_refused(test_idp, sp):
    refused(sp, victim_response(test_idp, sp, lifetime_minutes=-10), "expired")
    refused(sp, victim_response(test_idp, sp, not_before_offset=dt.timedelta(minutes=10)), "not yet valid")


def test_encrypted_assertion_is_refused(test_idp, sp):
    b64 = encrypt_like(victim_response(test_idp, sp))
    assert "EncryptedAssertion" in to_xml(b64) and "<ns1:Assertion" not in to_xml(b64)
    refused(sp, b64, "decrypt")


def test_added_transform_breaks_the_signature_unless_resigned(test_idp, sp):
    b64 = add_transform(victim_response(test_idp, sp))
    assert "REC-xslt-19991116" in to_xml(b64)
    refused(sp, b64, "Signature validation failed")


XSW_ASSERTION = ["XSW3", "XSW4", "XSW5", "XSW6", "XSW7", "XSW8"]
# the wrapped original still verifies cryptographically in these (in XSW1/6/8 it sits inside the Signature,
# which the enveloped-signature transform cuts out of the digest, so xmlsec already fails them)
XSW_SIGNATURE_STILL_VALID = {"XSW2", "XSW3", "XSW4", "XSW5", "XSW7"}


@pytest.mark.parametrize("name", XSW_ASSERTION)
def test_assertion_wrapping_is_refused(test_idp, sp, name):
    b64 = victim_response(test_idp, sp)
    original_id = decode(b64).find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion").get("ID")
    variants = xsw_variants(b64, "evil@evil.test", "evil@evil.test")
    assert sorted(variants) == XSW_ASSERTION  # XSW1/2 need a signed Response
    wrapped = variants[name]
    assert "evil@evil.test" in to_xml(wrapped)
    assert (original_id in verify_signatures(wrapped, test_idp.cert_pem)) == (name in XSW_SIGNATURE_STILL_VALID)
    refused(sp, wrapped, "must contain 1 assertion")


@pytest.mark.parametrize("name", ["XSW1", "XSW2"])
def test_response_wrapping_is_refused(test_idp, name):
    # XSW1/2 attack SPs that trust a signed Response: such an SP wants the message, not the assertion, signed
    sp = Sp(test_idp.idp_settings(), wantAssertionsSigned=False, wantMessagesSigned=True)
    b64 = victim_response(test_idp, sp, sign_response=True, sign_assertion=False)
    assert sp.check(b64)[0]
    wrapped = xsw_variants(b64, "evil@evil.test", "evil@evil.test")[name]
    assert (decode(b64).get("ID") in verify_signatures(wrapped, test_idp.cert_pem)) == \
        (name in XSW_SIGNATURE_STILL_VALID)
    refused(sp, wrapped, "must contain 1 assertion")


def test_both_levels_signed_gives_all_eight_variants(test_idp, sp):
    b64 = victim_response(test_idp, sp, sign_response=True)
    variants = xsw_variants(b64, "evil@evil.test", "evil@evil.test")
    assert sorted(variants) == [f"XSW{n}" for n in range(1, 9)]
    for name, wrapped in variants.items():
        assert not sp.check(wrapped)[0], name


# --- (d) comment injection ---------------------------------------------------------------------------------


def test_comment_in_name_id_keeps_the_signature_and_python3_saml_reads_the_full_text(test_idp, sp):
    full = "victim@acme.test.evil.test"
    b64 = victim_response(test_idp, sp, name_id=full, attributes={"email": [full]})
    injected = inject_comment_in_name_id(b64, len("victim@acme.test"))
    assert inject_comment_in_name_id(b64, "victim@acme.test") == injected
    xml = to_xml(injected)
    assert xml.count("victim@acme.test<!---->.evil.test") == 2  # NameID and the email attribute
    valid, error, response = sp.check(injected)
    assert valid, error  # exclusive c14n ignores comments: the signature still holds
    assert response.get_nameid() == full
    assert response.get_attributes()["email"] == [full]


# --- what python3-saml does not check (our SP must) -------------------------------------------------------


def test_python3_saml_alone_accepts_an_old_issue_instant(test_idp, sp):
    """No IssueInstant age check: only Conditions/SubjectConfirmationData times are checked, so the SP must
    bound assertion age itself and remember assertion IDs against replay."""
    b64 = victim_response(test_idp, sp, issue_instant=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    assert 'IssueInstant="' in to_xml(b64)
    assert sp.check(b64)[0]


def test_python3_saml_alone_accepts_a_resigned_xslt_transform(test_idp, sp):
    """Reference transforms are not restricted: a signature made through an XSLT transform verifies (xmlsec
    runs the stylesheet). The SP must allow only enveloped-signature and exclusive c14n."""
    b64 = add_transform(victim_response(test_idp, sp), resign=True)
    assert "REC-xslt-19991116" in to_xml(b64)
    assert sp.check(b64)[0]
