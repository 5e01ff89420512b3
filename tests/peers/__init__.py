"""Peers the integration tests talk to: a real SAML 2.0 identity provider built on pysaml2."""
