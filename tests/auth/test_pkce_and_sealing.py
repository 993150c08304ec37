"""PKCE verifier/challenge generation, and sealing secrets at rest (pure, no server)."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from cryptography.fernet import Fernet

from app.auth.oidc import new_code_verifier
from app.settings import AppSettings, SecretsSettings, Settings
from app.store.sealing import SecretVault, open_secrets, seal_secrets, vault_for


def test_pkce_verifier_is_long_random_and_unreserved() -> None:
    verifiers = {new_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)


async def test_pkce_challenge_is_s256_of_the_verifier() -> None:
    verifier = new_code_verifier()
    async with AsyncOAuth2Client(client_id="c", code_challenge_method="S256") as client:
        url, _ = client.create_authorization_url(
            "https://idp.example/authorize", code_verifier=verifier
        )
    query = parse_qs(urlsplit(url).query)
    expected = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    assert query["code_challenge"] == [expected]
    assert query["code_challenge_method"] == ["S256"]
    assert verifier not in url


def test_sealing_hides_every_secret_named_value_and_opens_it_again() -> None:
    vault = SecretVault((Fernet.generate_key(),))
    config = {
        "url": "https://api.example.com",
        "signature": {"secret": "whsec_abcdefghijklmnop"},
        "handshake": {"verify_token": "meta-verify-token-123"},
        "auth": [{"api_key": "key-1234567890"}, {"password": "pw-0987654321"}],
    }
    sealed = seal_secrets(config, vault)
    text = repr(sealed)
    for plain in (
        "whsec_abcdefghijklmnop",
        "meta-verify-token-123",
        "key-1234567890",
        "pw-0987654321",
    ):
        assert plain not in text
    assert sealed["url"] == "https://api.example.com"
    assert seal_secrets(sealed, vault) == sealed  # idempotent: saving twice seals once
    assert open_secrets(sealed, vault) == config


def test_keys_rotate_old_values_still_open() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    sealed = SecretVault((old,)).seal("a-secret-from-last-year")
    rotated_vault = SecretVault((new, old))
    assert rotated_vault.open(sealed) == "a-secret-from-last-year"
    assert SecretVault((new,)).open(rotated_vault.rotate(sealed)) == "a-secret-from-last-year"


def test_vault_keys_come_from_encryption_keys_or_secret_key() -> None:
    key = Fernet.generate_key().decode()
    app = AppSettings(env="test", secret_key="s" * 32)
    explicit = vault_for(Settings(app=app, secrets=SecretsSettings(encryption_keys=key)))
    derived = vault_for(Settings(app=app, secrets=SecretsSettings(encryption_keys=())))
    value = explicit.seal("sealed-with-explicit-key")
    assert SecretVault((key.encode(),)).open(value) == "sealed-with-explicit-key"
    assert derived.open(derived.seal("x" * 20)) == "x" * 20


def test_bad_encryption_keys_fail_at_startup_with_advice() -> None:
    with pytest.raises(ValueError, match=r"Fernet\.generate_key"):
        SecretsSettings(encryption_keys="not-a-key")
