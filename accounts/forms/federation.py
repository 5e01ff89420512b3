"""The Authentication Provider form (Organization > Authentication Provider > Configure). It reads input only;
accounts.services.identity_providers checks it against the provider and saves it."""
from django import forms

from ..choices import FederationProtocol, NameIdFormat, SamlSetup
from ..models.federation import CLAIM_LABELS, DEFAULT_CLAIMS, DEFAULT_SAML_ATTRIBUTES


class AuthProviderForm(forms.Form):
    protocol = forms.ChoiceField(label="Authentication Provider Type", choices=FederationProtocol.choices,
                                 widget=forms.RadioSelect)
    domains = forms.CharField(
        label="Domains", required=False, widget=forms.Textarea(attrs={"rows": 3, "placeholder": "example.com"}),
        help_text="One e-mail domain per line. Users of a listed domain get an account automatically when they "
                  "first sign in; if no domain is set, users must be added to the organization before they sign in.")
    enabled = forms.BooleanField(label="Enable sign-in through this provider", required=False,
                                 help_text="Leave it off until Test federation works: once enabled, the "
                                           "organization's users sign in only through the provider.")
    # OIDC
    oidc_client_id = forms.CharField(label="CLIENT ID", required=False, max_length=255,
                                     help_text="SSO CLIENT ID used to log in to the SSO provider")
    oidc_client_secret = forms.CharField(label="CLIENT SECRET", required=False, max_length=2000,
                                         widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                                         help_text="SSO CLIENT SECRET used to log in to the SSO provider")
    oidc_discovery_url = forms.CharField(label="Well-known URL", required=False, max_length=500,
                                         help_text="OpenID configuration document URL")
    # SAML
    saml_setup = forms.ChoiceField(label="SAML Authentication Provider", choices=SamlSetup.choices,
                                   widget=forms.RadioSelect, required=False, initial=SamlSetup.METADATA_URL,
                                   help_text="We recommend selecting With Metadata URL for a shorter process.")
    saml_metadata_url = forms.CharField(label="SAML Metadata URL", required=False, max_length=500,
                                        help_text="The SAML Metadata URL used to login to SSO provider.")
    saml_idp_entity_id = forms.CharField(label="Identity provider entity ID", required=False, max_length=500,
                                         help_text="The URL of the identity provider (the issuer of its assertions).")
    saml_sso_url = forms.CharField(label="SSO target URL", required=False, max_length=500,
                                   help_text="The URL used to log in to the SSO provider (its Login URL).")
    saml_slo_url = forms.CharField(label="SSO Logout URL", required=False, max_length=500,
                                   help_text="The provider's Logout URL, for single logout (optional).")
    saml_name_id_format = forms.ChoiceField(label="SSO name identifier format", choices=NameIdFormat.choices,
                                            required=False, initial=NameIdFormat.EMAIL)
    saml_idp_certificate = forms.CharField(
        label="Certificate", required=False, widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Certificate (Base64). Make sure that you include the header and the footer for the certificate.")
    saml_allow_idp_initiated = forms.BooleanField(
        label="Allow IdP-initiated sign-in", required=False,
        help_text="Accept sign-ins started from the provider's portal (unsolicited responses). Off by default: "
                  "sign-ins started here are bound to the browser that started them.")

    def __init__(self, *args, provider=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        for name, label in CLAIM_LABELS.items():
            self.fields[f"claim_{name}"] = forms.CharField(label=label, required=False, max_length=200)
        if provider is not None:
            self.fields["oidc_client_secret"].help_text += ". Leave it empty to keep the saved secret."

    def claim_fields(self):
        return [self[f"claim_{name}"] for name in CLAIM_LABELS]

    @staticmethod
    def initial_for(provider, domains) -> dict:
        if provider is None:
            return {"protocol": FederationProtocol.SAML, "saml_setup": SamlSetup.METADATA_URL}
        initial = {name: getattr(provider, name) for name in (
            "protocol", "enabled", "oidc_client_id", "oidc_discovery_url", "saml_setup", "saml_metadata_url",
            "saml_idp_entity_id", "saml_sso_url", "saml_slo_url", "saml_name_id_format", "saml_idp_certificate",
            "saml_allow_idp_initiated")}
        initial["domains"] = "\n".join(domains)
        initial.update({f"claim_{k}": v for k, v in (provider.claim_names or {}).items()})
        return initial

    @property
    def values(self) -> dict:
        data = dict(self.cleaned_data)
        defaults = DEFAULT_SAML_ATTRIBUTES if data.get("protocol") == FederationProtocol.SAML else DEFAULT_CLAIMS
        data["claim_names"] = {name: data.pop(f"claim_{name}").strip() for name in CLAIM_LABELS
                               if data.get(f"claim_{name}", "").strip()
                               and data[f"claim_{name}"].strip() != defaults[name]}
        return data

    @property
    def domain_list(self) -> list[str]:
        text = self.cleaned_data.get("domains") or ""
        return [part for line in text.splitlines() for part in line.replace(",", " ").split()]
