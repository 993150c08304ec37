"""Settings groups for access: sign-in providers, local accounts, and secrets at rest."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode

from app.settings.core import ENV_GROUP, SettingsError

SignInKind = Literal["oidc", "github"]
GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"
_OIDC_VARIABLE = re.compile(r"^OIDC_([A-Z0-9]+)_DISCOVERY_URL$")


class SignInProvider(BaseModel):
    """One OAuth/OIDC provider people may sign in with (enabled by its client id/secret)."""

    name: str = Field(pattern=r"^[a-z0-9]+$", description="URL name: /auth/<name>/callback")
    label: str
    kind: SignInKind = "oidc"
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    discovery_url: str | None = None
    scope: str = "openid email profile"
    github_web_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"


def providers_from_environ(environ: Mapping[str, str] | None = None) -> tuple[SignInProvider, ...]:
    """Google, GitHub and any `OIDC_<NAME>_*` provider whose client id and secret are set."""
    env = os.environ if environ is None else environ
    _refuse_half_configured(env)
    found: list[SignInProvider] = []
    if env.get("OAUTH_GOOGLE_CLIENT_ID") and env.get("OAUTH_GOOGLE_CLIENT_SECRET"):
        found.append(
            SignInProvider(
                name="google",
                label="Google",
                client_id=env["OAUTH_GOOGLE_CLIENT_ID"],
                client_secret=env["OAUTH_GOOGLE_CLIENT_SECRET"],
                discovery_url=GOOGLE_DISCOVERY_URL,
            )
        )
    if env.get("OAUTH_GITHUB_CLIENT_ID") and env.get("OAUTH_GITHUB_CLIENT_SECRET"):
        found.append(
            SignInProvider(
                name="github",
                label="GitHub",
                kind="github",
                client_id=env["OAUTH_GITHUB_CLIENT_ID"],
                client_secret=env["OAUTH_GITHUB_CLIENT_SECRET"],
                scope="read:user user:email",
                # GitHub Enterprise Server: https://HOST and https://HOST/api/v3
                github_web_url=env.get("OAUTH_GITHUB_WEB_URL") or "https://github.com",
                github_api_url=env.get("OAUTH_GITHUB_API_URL") or "https://api.github.com",
            )
        )
    for variable in sorted(env):
        match = _OIDC_VARIABLE.match(variable)
        if match is None:
            continue
        prefix = f"OIDC_{match.group(1)}_"
        client_id, secret = env.get(prefix + "CLIENT_ID"), env.get(prefix + "CLIENT_SECRET")
        if not (client_id and secret):
            raise SettingsError(f"{variable} is set but {prefix}CLIENT_ID/CLIENT_SECRET are not.")
        found.append(
            SignInProvider(
                name=match.group(1).lower(),
                label=env.get(prefix + "LABEL") or match.group(1).title(),
                client_id=client_id,
                client_secret=secret,
                discovery_url=env[variable],
            )
        )
    return tuple(found)


def _refuse_half_configured(env: Mapping[str, str]) -> None:
    """A provider that would silently do nothing is a start-up error naming the variable."""
    for vendor, label in (("GOOGLE", "Google"), ("GITHUB", "GitHub")):
        names = (f"OAUTH_{vendor}_CLIENT_ID", f"OAUTH_{vendor}_CLIENT_SECRET")
        present = [name for name in names if env.get(name)]
        if len(present) == 1:
            missing = next(name for name in names if name not in present)
            raise SettingsError(
                f"{present[0]} is set but {missing} is not: set both to offer sign-in with "
                f"{label}, or neither."
            )
    for variable in sorted(env):
        if not (variable.startswith("OIDC_") and variable.endswith(_OIDC_SUFFIXES)):
            continue
        suffix = next(end for end in _OIDC_SUFFIXES if variable.endswith(end))
        name = variable.removeprefix("OIDC_").removesuffix(suffix)
        if not re.fullmatch(r"[A-Z0-9]+", name):
            example = re.sub(r"[^A-Z0-9]", "", name.upper()) or "MYCORP"
            raise SettingsError(
                f"{variable}: a provider name may only use capital letters and digits, "
                f"no underscores (e.g. OIDC_{example}{suffix}); it becomes the sign-in "
                "URL /auth/<name>/."
            )
        if not env.get(f"OIDC_{name}_DISCOVERY_URL"):
            raise SettingsError(
                f"{variable} is set but OIDC_{name}_DISCOVERY_URL is not: set the provider's "
                "discovery URL (…/.well-known/openid-configuration), or remove the variable."
            )


_OIDC_SUFFIXES = ("_DISCOVERY_URL", "_CLIENT_ID", "_CLIENT_SECRET", "_LABEL")


class AuthSettings(BaseSettings):
    """Who may sign in, and how: local accounts, OAuth/OIDC providers, login limits."""

    model_config = ENV_GROUP

    local_accounts: bool = Field(
        default=True,
        validation_alias=AliasChoices("LOCAL_ACCOUNTS", "local_accounts"),
        description="E-mail + password accounts; always on when no provider is configured.",
    )
    providers: tuple[SignInProvider, ...] = Field(default_factory=providers_from_environ)
    login_max_failures_per_account: int = Field(
        default=5, validation_alias=AliasChoices("LOGIN_MAX_FAILURES", "login_max_failures")
    )
    login_max_failures_per_ip: int = Field(
        default=20,
        validation_alias=AliasChoices("LOGIN_MAX_FAILURES_PER_IP", "login_max_failures_per_ip"),
    )
    login_window_seconds: int = Field(
        default=900,
        validation_alias=AliasChoices("LOGIN_WINDOW_SECONDS", "login_window_seconds"),
    )
    provider_timeout: float = Field(
        default=10.0, validation_alias=AliasChoices("OAUTH_HTTP_TIMEOUT", "provider_timeout")
    )

    @property
    def local_enabled(self) -> bool:
        """Local accounts stay on when no provider exists, or nobody could ever sign in."""
        return self.local_accounts or not self.providers

    def provider(self, name: str) -> SignInProvider | None:
        return next((p for p in self.providers if p.name == name), None)

    @model_validator(mode="after")
    def _unique_names(self) -> AuthSettings:
        names = [p.name for p in self.providers]
        if len(names) != len(set(names)):
            raise ValueError(f"Two sign-in providers share a name: {names}")
        return self


class SecretsSettings(BaseSettings):
    """Keys that encrypt stored secrets (signing secrets, API keys, passwords in steps)."""

    model_config = ENV_GROUP

    encryption_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        validation_alias=AliasChoices("ENCRYPTION_KEYS", "encryption_keys"),
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip() for part in value.split(",") if part.strip())
        for key in value if isinstance(value, tuple | list) else ():
            try:
                Fernet(str(key).encode())
            except ValueError as exc:
                raise ValueError(
                    "ENCRYPTION_KEYS must be comma-separated Fernet keys; make one with "
                    "`python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from exc
        return value
