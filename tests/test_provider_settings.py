"""Sign-in provider variables that would silently do nothing stop start-up, naming the variable."""

from __future__ import annotations

import pytest

from app.settings.access import providers_from_environ
from app.settings.core import SettingsError

MY_CORP = {
    "OIDC_MY_CORP_DISCOVERY_URL": "https://id.example.com/.well-known/openid-configuration",
    "OIDC_MY_CORP_CLIENT_ID": "hookline",
    "OIDC_MY_CORP_CLIENT_SECRET": "s3cret",
}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (MY_CORP, "OIDC_MY_CORP_CLIENT_ID"),
        ({"OIDC_MY_CORP_DISCOVERY_URL": "https://id.example.com"}, "OIDC_MY_CORP_DISCOVERY_URL"),
        ({"OAUTH_GOOGLE_CLIENT_ID": "abc"}, "OAUTH_GOOGLE_CLIENT_SECRET"),
        ({"OAUTH_GOOGLE_CLIENT_SECRET": "abc"}, "OAUTH_GOOGLE_CLIENT_ID"),
        ({"OAUTH_GITHUB_CLIENT_ID": "abc"}, "OAUTH_GITHUB_CLIENT_SECRET"),
        ({"OIDC_CORP_CLIENT_ID": "a", "OIDC_CORP_CLIENT_SECRET": "b"}, "OIDC_CORP_DISCOVERY_URL"),
    ],
)
def test_half_configured_provider_is_refused_naming_the_variable(
    env: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        providers_from_environ(env)
    assert named in str(refused.value)


def test_underscore_name_suggests_the_name_that_works() -> None:
    with pytest.raises(SettingsError, match="OIDC_MYCORP_CLIENT_ID"):
        providers_from_environ(MY_CORP)
    fixed = {key.replace("MY_CORP", "MYCORP"): value for key, value in MY_CORP.items()}
    (provider,) = providers_from_environ(fixed)
    assert provider.name == "mycorp"


def test_complete_google_and_github_are_accepted() -> None:
    env = {
        "OAUTH_GOOGLE_CLIENT_ID": "g",
        "OAUTH_GOOGLE_CLIENT_SECRET": "gs",
        "OAUTH_GITHUB_CLIENT_ID": "h",
        "OAUTH_GITHUB_CLIENT_SECRET": "hs",
    }
    assert [p.name for p in providers_from_environ(env)] == ["google", "github"]
