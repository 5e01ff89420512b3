"""In-process SAML helpers for negative tests: a pysaml2 IdP without a web server (TestIdP) and functions that
tamper with a base64 SAMLResponse (signature stripping, XML signature wrapping, comment injection, ...).

Every tampering function takes and returns the base64 form an ACS receives in the SAMLResponse field.
Nothing here re-signs unless asked to (`resign=True`), so most results carry a signature that no longer
matches, or (signature wrapping, comment injection) one that still matches a different element or text.
"""
from __future__ import annotations

import base64
import copy
import datetime as dt
import os
import shutil
import tempfile
import weakref
from pathlib import Path

import xmlsec
from lxml import etree

from tests.peers.saml_idp import IdentityProvider, require_xmlsec1, stub_sp_metadata

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
NS = {"samlp": SAMLP, "saml": SAML, "ds": DS, "xenc": XENC}
XSLT_TRANSFORM = "http://www.w3.org/TR/1999/REC-xslt-19991116"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# TestIdPs by entity ID, so `set_audience(..., resign=True)` finds the key of the IdP that issued a response
_IDPS: weakref.WeakValueDictionary[str, TestIdP] = weakref.WeakValueDictionary()


# --- encoding ----------------------------------------------------------------------------------------------


def decode(b64: str | bytes) -> etree._Element:
    """The SAMLResponse's XML root (samlp:Response)."""
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)
    return etree.fromstring(base64.b64decode(b64), parser)


def encode(root: etree._Element) -> str:
    return base64.b64encode(etree.tostring(root, xml_declaration=True, encoding="UTF-8")).decode()


def to_xml(b64: str | bytes) -> str:
    """The decoded XML text, for assertions in tests."""
    return base64.b64decode(b64).decode()


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _assertion(root: etree._Element) -> etree._Element:
    node = root.find("saml:Assertion", NS)
    if node is None:
        raise ValueError("the Response holds no saml:Assertion")
    return node


def _own_signature(element: etree._Element) -> etree._Element | None:
    """The enveloped ds:Signature of element (a direct child), if any."""
    return element.find("ds:Signature", NS)


def _remove(node: etree._Element | None) -> None:
    if node is not None:
        parent = node.getparent()
        # keep the text that followed the node (tail) attached to the previous sibling or the parent
        if node.tail:
            prev = node.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + node.tail
            else:
                parent.text = (parent.text or "") + node.tail
        parent.remove(node)


# --- signing with the IdP key (python-xmlsec, in process) --------------------------------------------------


def sign_element(root: etree._Element, element: etree._Element, key_file: Path, cert_file: Path) -> None:
    """(Re-)sign element in place: an enveloped, exclusive-c14n, rsa-sha256 signature referencing its ID.
    An existing ds:Signature child is reused (its transforms kept), otherwise one is added after Issuer."""
    sig = _own_signature(element)
    if sig is None:
        sig = xmlsec.template.create(element, xmlsec.constants.TransformExclC14N,
                                     xmlsec.constants.TransformRsaSha256, ns="ds")
        ref = xmlsec.template.add_reference(sig, xmlsec.constants.TransformSha256, uri=f"#{element.get('ID')}")
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
        issuer = element.find("saml:Issuer", NS)
        element.insert(element.index(issuer) + 1 if issuer is not None else 0, sig)
    else:
        sig.find("ds:SignedInfo/ds:Reference", NS).set("URI", f"#{element.get('ID')}")
        for path in ("ds:SignedInfo/ds:Reference/ds:DigestValue", "ds:SignatureValue"):
            sig.find(path, NS).text = ""
        x509_data = sig.find("ds:KeyInfo/ds:X509Data", NS)
        if x509_data is not None:
            x509_data[:] = []  # xmlsec writes the certificate of the signing key back in
    xmlsec.tree.add_ids(root, ["ID"])
    key = xmlsec.Key.from_file(str(key_file), xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(str(cert_file), xmlsec.constants.KeyDataFormatPem)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(sig)


def verify_signatures(b64: str | bytes, cert_pem: str) -> list[str]:
    """IDs of the elements whose ds:Signature (anywhere in the document) verifies with cert_pem. Shows that a
    wrapped document still carries a cryptographically valid signature, only over another element."""
    root = decode(b64)
    xmlsec.tree.add_ids(root, ["ID"])
    verified = []
    for sig in root.iter(_q(DS, "Signature")):
        ref = sig.find("ds:SignedInfo/ds:Reference", NS)
        if ref is None:
            continue
        ctx = xmlsec.SignatureContext()
        ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
        try:
            ctx.verify(sig)
        except xmlsec.Error:
            continue
        verified.append(ref.get("URI", "").lstrip("#"))
    return verified


# --- the in-process IdP ------------------------------------------------------------------------------------


class TestIdP:
    """pysaml2 Server built with the same configuration as the web IdP, answering without HTTP.

    `base_url` only shapes the entity ID (`{base_url}/metadata`) and endpoint URLs; nothing listens there.
    The key pair is generated into key_dir (a temporary directory removed with the object by default).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, key_dir: Path | None = None, *, base_url: str = "http://127.0.0.1:9999",
                 sign_response: bool = False):
        require_xmlsec1()
        if key_dir is None:
            key_dir = Path(tempfile.mkdtemp(prefix="test-idp-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, key_dir, True)
        self.idp = IdentityProvider(base_url, Path(key_dir), sign_response=sign_response)
        _IDPS[self.entity_id] = self

    @property
    def entity_id(self) -> str:
        return self.idp.entity_id

    @property
    def metadata_xml(self) -> str:
        return self.idp.metadata_xml

    @property
    def cert_pem(self) -> str:
        return self.idp.cert_pem

    @property
    def sso_url(self) -> str:
        return self.idp.sso_url

    @property
    def slo_url(self) -> str:
        return self.idp.slo_url

    def idp_settings(self) -> dict:
        """The `idp` block of python3-saml settings for this IdP."""
        redirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        return {"entityId": self.entity_id,
                "singleSignOnService": {"url": self.sso_url, "binding": redirect},
                "singleLogoutService": {"url": self.slo_url, "binding": redirect},
                "x509cert": self.cert_pem}

    def trust(self, sp_metadata_xml: str | bytes) -> list[str]:
        """Load SP metadata (needed for parse/logout helpers; response() works without it)."""
        return self.idp.trust(sp_metadata_xml)

    def response(self, *, sp_entity_id: str, acs_url: str, in_response_to: str | None = None, name_id: str,
                 attributes: dict, sign_assertion: bool = True, sign_response: bool = False,
                 lifetime_minutes: float = 5, not_before_offset: float | dt.timedelta = 0,
                 audience: str | None = None, issue_instant: dt.datetime | str | None = None) -> str:
        """A base64 SAMLResponse made by pysaml2 (create_authn_response).

        lifetime_minutes: NotOnOrAfter of Conditions and SubjectConfirmationData (negative: expired; mind
            python3-saml's 300 s clock drift allowance, so use <= -6 for "expired").
        not_before_offset: seconds (or a timedelta) added to Conditions/NotBefore (> 300 s: not yet valid).
        audience: Audience instead of sp_entity_id.
        issue_instant: IssueInstant of Response and Assertion (and AuthnInstant); set after pysaml2 built
            the message, then the signatures are made again with the IdP key.
        """
        if not self.idp.knows(sp_entity_id):  # pysaml2 looks the SP up (encryption keys) when signing
            self.idp.trust(stub_sp_metadata(sp_entity_id, acs_url))
        xml = self.idp.authn_response(
            sp_entity_id=sp_entity_id, acs_url=acs_url, name_id=name_id, attributes=attributes,
            in_response_to=in_response_to, sign_assertion=sign_assertion, sign_response=sign_response,
            lifetime_minutes=lifetime_minutes, not_before_offset=not_before_offset, audience=audience)
        b64 = base64.b64encode(xml.encode()).decode()
        if issue_instant is not None:
            if isinstance(issue_instant, dt.datetime):
                issue_instant = issue_instant.astimezone(dt.UTC).strftime(TIME_FORMAT)
            root = decode(b64)
            root.set("IssueInstant", issue_instant)
            for node in root.iter(_q(SAML, "Assertion")):
                node.set("IssueInstant", issue_instant)
            for node in root.iter(_q(SAML, "AuthnStatement")):
                node.set("AuthnInstant", issue_instant)
            b64 = self.resign(encode(root))
        return b64

    def resign(self, b64: str | bytes) -> str:
        """Sign again what was signed (Assertion first, then Response), with this IdP's key."""
        root = decode(b64)
        for assertion in root.iter(_q(SAML, "Assertion")):
            if _own_signature(assertion) is not None:
                sign_element(root, assertion, self.idp.key_file, self.idp.cert_file)
        if _own_signature(root) is not None:
            sign_element(root, root, self.idp.key_file, self.idp.cert_file)
        return encode(root)

    def sign_assertion(self, b64: str | bytes) -> str:
        """Sign the (first) Assertion, adding a signature if it has none; then re-sign a signed Response."""
        root = decode(b64)
        sign_element(root, _assertion(root), self.idp.key_file, self.idp.cert_file)
        if _own_signature(root) is not None:
            sign_element(root, root, self.idp.key_file, self.idp.cert_file)
        return encode(root)


def _idp_for(root: etree._Element, idp: TestIdP | None) -> TestIdP:
    if idp is not None:
        return idp
    issuer = root.findtext("saml:Issuer", namespaces=NS) or root.findtext("saml:Assertion/saml:Issuer",
                                                                          namespaces=NS)
    found = _IDPS.get((issuer or "").strip())
    if found is None:
        raise ValueError(f"no TestIdP alive for issuer {issuer!r}: pass idp=")
    return found


# --- tampering ---------------------------------------------------------------------------------------------


def strip_signature(b64: str | bytes) -> str:
    """Remove every ds:Signature (Response and Assertion level)."""
    root = decode(b64)
    for sig in list(root.iter(_q(DS, "Signature"))):
        _remove(sig)
    return encode(root)


def _set_identity(assertion: etree._Element, name_id: str | None, email: str | None) -> None:
    """Rewrite NameID and the `email` attribute values of an assertion."""
    if name_id is not None:
        for node in assertion.iterfind("saml:Subject/saml:NameID", NS):
            node.text = name_id
    if email is not None:
        for attr in assertion.iterfind("saml:AttributeStatement/saml:Attribute[@Name='email']", NS):
            for value in attr.iterfind("saml:AttributeValue", NS):
                value.text = email


def _evil_copy(element: etree._Element, name_id: str, email: str, new_id: str) -> etree._Element:
    """An unsigned copy of an Assertion (or of a Response and its assertions) carrying the evil identity."""
    evil = copy.deepcopy(element)
    for sig in list(evil.iter(_q(DS, "Signature"))):
        _remove(sig)
    assertions = [evil] if evil.tag == _q(SAML, "Assertion") else list(evil.iter(_q(SAML, "Assertion")))
    for assertion in assertions:
        _set_identity(assertion, name_id, email)
    evil.set("ID", new_id)
    return evil


def _without_signature(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    _remove(_own_signature(clone))
    return clone


def _insert_after_issuer(parent: etree._Element, node: etree._Element) -> None:
    issuer = parent.find("saml:Issuer", NS)
    parent.insert(parent.index(issuer) + 1 if issuer is not None else 0, node)


def xsw_variants(b64: str | bytes, evil_name_id: str, evil_email: str) -> dict[str, str]:
    """The eight XML Signature Wrapping families of "On Breaking SAML" (Somorovsky et al., 2012) as SAML
    Raider implements them. Each keeps the original signed element intact (so its signature still
    verifies, see verify_signatures) while the place an SP reads from carries evil_name_id/evil_email.

    XSW1, XSW2 wrap the signed Response and are only produced when the Response is signed:
      XSW1  evil Response (new ID); the original Response, unsigned copy, inside the evil one's Signature
      XSW2  same, but the original Response sits before the Signature as a sibling (detached signature)
    XSW3..XSW8 wrap the signed Assertion and are only produced when the Assertion is signed:
      XSW3  evil Assertion (new ID, unsigned) inserted before the signed one
      XSW4  evil Assertion appended to the Response; the signed one moved inside it
      XSW5  the signed Assertion turned evil (new ID, keeps the Signature); an unsigned copy of the original
            appended to the Response
      XSW6  like XSW5, but the original copy goes inside the evil Assertion's Signature
      XSW7  evil Assertion (new ID) inside a samlp:Extensions element of the Response, before the signed one
      XSW8  like XSW6, but the original copy is wrapped in a ds:Object of the Signature (schema-valid)
    """
    source = decode(b64)
    variants: dict[str, etree._Element] = {}

    if _own_signature(source) is not None:
        for name in ("XSW1", "XSW2"):
            root = copy.deepcopy(source)
            original = _without_signature(root)
            evil = root  # the document root becomes the evil Response, keeping the original Signature
            for sig in [s for s in root.iter(_q(DS, "Signature")) if s.getparent() is not root]:
                _remove(sig)
            for n, assertion in enumerate(root.iter(_q(SAML, "Assertion"))):
                _set_identity(assertion, evil_name_id, evil_email)
                assertion.set("ID", f"_evil_assertion_id{n or ''}")
            evil.set("ID", "_evil_response_id")
            sig = _own_signature(evil)
            if name == "XSW1":
                sig.append(original)
            else:
                evil.insert(evil.index(sig), original)
            variants[name] = root

    signed_assertion = source.find("saml:Assertion", NS)
    if signed_assertion is not None and _own_signature(signed_assertion) is not None:
        for name in ("XSW3", "XSW4", "XSW5", "XSW6", "XSW7", "XSW8"):
            root = copy.deepcopy(source)
            _remove(_own_signature(root))  # a Response signature would no longer match anyway
            signed = _assertion(root)
            if name in ("XSW3", "XSW4", "XSW7"):
                evil = _evil_copy(signed, evil_name_id, evil_email, "_evil_assertion_id")
                if name == "XSW3":
                    root.insert(root.index(signed), evil)
                elif name == "XSW4":
                    root.append(evil)
                    evil.append(signed)  # moves it
                else:
                    extensions = etree.Element(_q(SAMLP, "Extensions"))
                    extensions.append(evil)
                    _insert_after_issuer(root, extensions)
            else:
                original = _without_signature(signed)
                _set_identity(signed, evil_name_id, evil_email)
                signed.set("ID", "_evil_assertion_id")  # the Signature still references the original ID
                sig = _own_signature(signed)
                if name == "XSW5":
                    root.append(original)
                elif name == "XSW6":
                    sig.append(original)
                else:
                    obj = etree.SubElement(sig, _q(DS, "Object"))
                    obj.append(original)
            variants[name] = root

    return {name: encode(root) for name, root in variants.items()}


def inject_comment_in_name_id(b64: str | bytes, position: int | str) -> str:
    """Split the NameID text (and the `email` attribute values) with an empty XML comment, without
    re-signing: exclusive c14n drops comments, so the signature stays valid. position is an index into the
    text, or a prefix after which to cut: "victim@acme.test" turns victim@acme.test.evil.test into
    victim@acme.test<!---->.evil.test. An SP reading only the first text node sees victim@acme.test."""
    root = decode(b64)
    nodes = list(root.iter(_q(SAML, "NameID")))
    for attr in root.iter(_q(SAML, "Attribute")):
        if attr.get("Name") == "email":
            nodes.extend(attr.iterfind("saml:AttributeValue", NS))
    for node in nodes:
        text = node.text or ""
        cut = len(position) if isinstance(position, str) else position
        if isinstance(position, str) and not text.startswith(position):
            continue
        comment = etree.Comment("")
        comment.tail = text[cut:]
        node.text = text[:cut]
        node.insert(0, comment)
    return encode(root)


def set_audience(b64: str | bytes, value: str, resign: bool = False, *, idp: TestIdP | None = None) -> str:
    """Replace every Audience of the assertion(s); resign=True signs again with the issuing TestIdP's key
    (found by the Issuer, or pass idp=), so only the audience check can refuse it."""
    root = decode(b64)
    for node in root.iter(_q(SAML, "Audience")):
        node.text = value
    out = encode(root)
    return _idp_for(root, idp).resign(out) if resign else out


def add_transform(b64: str | bytes, algorithm: str = XSLT_TRANSFORM, *, resign: bool = False,
                  idp: TestIdP | None = None) -> str:
    """Add a ds:Transform (default XSLT, with an identity stylesheet) to the Reference of the Assertion's
    signature, after the enveloped-signature transform. Without resign the SignedInfo no longer matches its
    SignatureValue; with resign=True xmlsec signs through the new transform (an SP should still refuse
    anything but enveloped-signature + exclusive c14n)."""
    root = decode(b64)
    sig = _own_signature(_assertion(root))
    if sig is None:
        raise ValueError("the Assertion is not signed")
    transforms = sig.find("ds:SignedInfo/ds:Reference/ds:Transforms", NS)
    transform = etree.Element(_q(DS, "Transform"), Algorithm=algorithm)
    if algorithm == XSLT_TRANSFORM:
        transform.append(etree.fromstring(
            '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
            '<xsl:template match="@*|node()"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>'
            "</xsl:template></xsl:stylesheet>"))
    enveloped = transforms.find("ds:Transform[@Algorithm='http://www.w3.org/2000/09/xmldsig#enveloped-signature']",
                                NS)
    transforms.insert(transforms.index(enveloped) + 1 if enveloped is not None else 0, transform)
    out = encode(root)
    return _idp_for(root, idp).resign(out) if resign else out


def encrypt_like(b64: str | bytes) -> str:
    """Replace the Assertion by a saml:EncryptedAssertion of the right shape (AES-CBC data, RSA-OAEP key)
    holding random bytes: enough for "EncryptedAssertion refused" tests, nothing decrypts it."""
    root = decode(b64)
    assertion = _assertion(root)
    wrapper = etree.Element(_q(SAML, "EncryptedAssertion"), nsmap={"saml": SAML})
    data = etree.SubElement(wrapper, _q(XENC, "EncryptedData"), nsmap={"xenc": XENC},
                            Type="http://www.w3.org/2001/04/xmlenc#Element")
    etree.SubElement(data, _q(XENC, "EncryptionMethod"), Algorithm=f"{XENC}aes256-cbc")
    key_info = etree.SubElement(data, _q(DS, "KeyInfo"), nsmap={"ds": DS})
    enc_key = etree.SubElement(key_info, _q(XENC, "EncryptedKey"))
    etree.SubElement(enc_key, _q(XENC, "EncryptionMethod"), Algorithm=f"{XENC}rsa-oaep-mgf1p")
    etree.SubElement(etree.SubElement(enc_key, _q(XENC, "CipherData")), _q(XENC, "CipherValue")).text = \
        base64.b64encode(os.urandom(256)).decode()
    etree.SubElement(etree.SubElement(data, _q(XENC, "CipherData")), _q(XENC, "CipherValue")).text = \
        base64.b64encode(os.urandom(16) + os.urandom(len(etree.tostring(assertion)) // 16 * 16)).decode()
    wrapper.tail = assertion.tail
    root.replace(assertion, wrapper)
    return encode(root)
