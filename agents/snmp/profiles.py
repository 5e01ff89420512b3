"""SNMP profiles of a Fleet Agent definition (`snmp_profiles` in fleet.services.agents.definition_document),
as frozen values the discovery and polling code pass around."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PROFILE_NAME = "Default"
VERSIONS = ("v1", "v2c", "v3")
SECURITY_LEVELS = ("noAuthNoPriv", "authNoPriv", "authPriv")
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIVACY_PROTOCOLS = ("DES", "AES", "AES192", "AES256")


class ProfileError(ValueError):
    """A profile the agent cannot use; the text names the profile and the field."""


def normalize_version(value) -> str:
    """The definition says "v1" / "v2c" / "v3" (fleet.choices.SnmpVersion); "1", "2c", "2", "3" and upper
    case are accepted too, so a hand-written config file works."""
    text = str(value or "v1").strip().lower()
    text = text if text.startswith("v") else f"v{text}"
    text = {"v2": "v2c"}.get(text, text)
    if text not in VERSIONS:
        raise ProfileError(f"unknown SNMP version {value!r} (expected one of {', '.join(VERSIONS)})")
    return text


@dataclass(frozen=True)
class Profile:
    """One SNMP profile. `version` is "v1", "v2c" or "v3" as the definition has it; `timeout` is seconds per
    attempt and `retries` the extra attempts (the guide's "Discovery timeout" and "Number of retries")."""

    name: str = DEFAULT_PROFILE_NAME
    version: str = "v1"
    community: str = "public"
    security_level: str = ""
    username: str = ""
    auth_protocol: str = ""
    auth_key: str = ""
    privacy_protocol: str = ""
    privacy_key: str = ""
    timeout: float = 15
    retries: int = 1
    port: int = 161
    is_default: bool = False

    def __post_init__(self):
        object.__setattr__(self, "version", normalize_version(self.version))
        if self.version == "v3":
            self._check_v3()
        if not 0 < float(self.timeout) <= 600:
            raise ProfileError(f"profile {self.name!r}: timeout must be between 0 and 600 seconds")
        if not 0 <= int(self.retries) <= 20:
            raise ProfileError(f"profile {self.name!r}: retries must be between 0 and 20")
        if not 0 < int(self.port) < 65536:
            raise ProfileError(f"profile {self.name!r}: port must be between 1 and 65535")

    def _check_v3(self):
        level = self.security_level or ("authPriv" if self.privacy_key else "authNoPriv" if self.auth_key
                                        else "noAuthNoPriv")
        object.__setattr__(self, "security_level", level)
        if level not in SECURITY_LEVELS:
            raise ProfileError(f"profile {self.name!r}: unknown security level {level!r}")
        if not self.username:
            raise ProfileError(f"profile {self.name!r}: SNMP v3 needs a user name")
        if level in ("authNoPriv", "authPriv"):
            if (self.auth_protocol or "SHA").upper() not in AUTH_PROTOCOLS or len(self.auth_key) < 8:
                raise ProfileError(f"profile {self.name!r}: {level} needs an authentication protocol "
                                   f"({', '.join(AUTH_PROTOCOLS)}) and a key of at least 8 characters")
        if level == "authPriv":
            if (self.privacy_protocol or "AES").upper() not in PRIVACY_PROTOCOLS or len(self.privacy_key) < 8:
                raise ProfileError(f"profile {self.name!r}: authPriv needs a privacy protocol "
                                   f"({', '.join(PRIVACY_PROTOCOLS)}) and a key of at least 8 characters")

    @classmethod
    def from_definition(cls, doc: dict) -> Profile:
        """One item of the definition's `snmp_profiles` (unknown keys are ignored, missing ones take the
        Default profile's values: v1, "public", 15 s, 1 retry, port 161)."""
        if not isinstance(doc, dict):
            raise ProfileError("an SNMP profile must be an object")
        return cls(name=str(doc.get("name") or DEFAULT_PROFILE_NAME), version=doc.get("version") or "v1",
                   community=str(doc.get("community") if doc.get("community") is not None else "public"),
                   security_level=str(doc.get("security_level") or ""),
                   username=str(doc.get("username") or ""),
                   auth_protocol=str(doc.get("auth_protocol") or "").upper(),
                   auth_key=str(doc.get("auth_key") or ""),
                   privacy_protocol=str(doc.get("privacy_protocol") or "").upper(),
                   privacy_key=str(doc.get("privacy_key") or ""),
                   timeout=float(doc.get("timeout") or 15),
                   retries=int(doc["retries"] if doc.get("retries") is not None else 1),
                   port=int(doc.get("port") or 161), is_default=bool(doc.get("default", False)))

    def __repr__(self) -> str:  # never print keys or communities into logs
        return f"Profile(name={self.name!r}, version={self.version!r}, port={self.port})"


def profiles_from_definition(definition: dict) -> dict[str, Profile]:
    """The definition's profiles by name; a definition without any gets the Default profile."""
    profiles = {}
    for doc in definition.get("snmp_profiles") or []:
        profile = Profile.from_definition(doc)
        profiles[profile.name] = profile
    if not profiles:
        profiles[DEFAULT_PROFILE_NAME] = Profile(is_default=True)
    return profiles


def default_profile(profiles: dict[str, Profile]) -> Profile:
    """The profile criteria without a (known) profile name use: the one marked default, else "Default",
    else the first."""
    for profile in profiles.values():
        if profile.is_default:
            return profile
    for name, profile in profiles.items():
        if name.lower() == DEFAULT_PROFILE_NAME.lower():
            return profile
    return next(iter(profiles.values()))
