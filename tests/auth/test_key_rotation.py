"""Rotating the encryption key: every sealed value moves to the first key of ENCRYPTION_KEYS.

Secrets are sealed with key A in workflow triggers, step configs and run plans; after
`rotate` with "B,A" they must all open with B alone, which they could not before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken

from app.settings import AppSettings, SecretsSettings, Settings
from app.store.db import create_engine, create_session_factory, transaction
from app.store.key_rotation import RotationCount, rotate_until_settled
from app.store.sealing import (
    SecretVault,
    open_secrets,
    seal_secrets,
    sealed_hint,
    vault_for,
)
from app.store.tables import Run, Step, Workflow
from app.store.users import create_user
from app.store.workflows import create_workflow, list_workflow_steps, step_definitions
from app.workflows.definition import StepDefinition, WorkflowDefinition, plan_from_steps

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
SIGNING_SECRET = "whsec-signing-secret-0001"
BEARER = "bearer-token-abcdef-0002"
HEADER_KEY = "x-api-key-value-0003"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def with_keys(settings: Settings, keys: str, secret_key: str | None = None) -> Settings:
    update: dict[str, Any] = {"secrets": SecretsSettings(encryption_keys=keys)}
    if secret_key is not None:
        update["app"] = AppSettings(env="test", secret_key=secret_key)
    return settings.model_copy(update=update)


def definition(number: int) -> WorkflowDefinition:
    config = {
        "method": "POST",
        "url": "https://example.com/in",
        "headers": {"X-Api-Key": HEADER_KEY, "Accept": "application/json"},
        "auth": {"type": "bearer", "token": BEARER},
    }
    return WorkflowDefinition(
        name=f"Signed {number}",
        trigger={"signature": {"preset": "github", "secret": SIGNING_SECRET}},
        steps=[StepDefinition(type="http_request", config=config)],
    )


@dataclass
class Stored:
    triggers: list[Any]
    configs: list[Any]
    plans: list[Any]

    def opened(self, vault: SecretVault) -> list[Any]:
        return [open_secrets(tree, vault) for tree in (self.triggers, self.configs, self.plans)]


async def seal_workflows(settings: Settings, count: int = 3) -> None:
    """`count` workflows, each with a run, saved the way the app saves them."""
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            user = await create_user(session, email=f"owner{os.getpid()}@example.com")
            assert user.id is not None
            for number in range(count):
                workflow = await create_workflow(
                    session,
                    user_id=user.id,
                    definition=definition(number),
                    vault=vault_for(settings),
                )
                assert workflow.id is not None
                steps = await list_workflow_steps(session, workflow_id=workflow.id)
                session.add(
                    Run(workflow_id=workflow.id, plan=plan_from_steps(step_definitions(steps)))
                )
    finally:
        await engine.dispose()


async def stored(settings: Settings) -> Stored:
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return Stored(
                triggers=[
                    w.trigger for w in (await session.exec(Workflow.__table__.select())).all()
                ],
                configs=[s.config for s in (await session.exec(Step.__table__.select())).all()],
                plans=[r.plan for r in (await session.exec(Run.__table__.select())).all()],
            )
    finally:
        await engine.dispose()


def plain_values(count: int = 3) -> list[Any]:
    original = definition(0)
    config = original.steps[0].config
    plan = plan_from_steps(original.steps)
    return [[original.trigger] * count, [config] * count, [plan] * count]


def only(counts: list[RotationCount], table: str) -> RotationCount:
    return next(count for count in counts if count.table == table)


async def test_rotation_moves_every_sealed_value_to_the_new_key(settings: Settings) -> None:
    await seal_workflows(with_keys(settings, KEY_A))
    before = await stored(settings)
    assert SIGNING_SECRET not in repr(before) and BEARER not in repr(before)
    with pytest.raises(InvalidToken):  # B alone cannot read what A sealed
        before.opened(SecretVault((KEY_B.encode(),)))

    passes = await rotate_until_settled(with_keys(settings, f"{KEY_B},{KEY_A}"), batch_size=2)

    first, last = passes[0], passes[-1]
    assert only(first, "workflow.trigger").rotated == 3
    assert only(first, "step.config").rotated == 6  # bearer token + API-key header
    assert only(first, "run.plan").rows_updated == 3
    assert not any(count.rotated or count.unreadable for count in last)
    assert only(last, "step.config").already_current == 6
    after = await stored(settings)
    assert after.opened(SecretVault((KEY_B.encode(),))) == plain_values()
    hints = [sealed_hint(t["signature"]["secret"]) for t in after.triggers]
    assert hints == [SIGNING_SECRET[-4:]] * 3  # the •••• hint shown on pages is kept

    again = await rotate_until_settled(with_keys(settings, f"{KEY_B},{KEY_A}"))
    assert len(again) == 1 and not any(count.rotated for count in again[0])
    assert await stored(settings) == after  # idempotent: nothing rewritten


@SQLITE_ONLY
async def test_values_sealed_before_encryption_keys_existed_still_open_then_rotate(
    settings: Settings,
) -> None:
    await seal_workflows(with_keys(settings, ""), count=1)  # key derived from SECRET_KEY
    with_b = with_keys(settings, KEY_B)
    assert (await stored(settings)).opened(vault_for(with_b)) == plain_values(1)
    await rotate_until_settled(with_b)
    new_secret_key = with_keys(settings, KEY_B, secret_key="a-brand-new-secret-key-" + "y" * 20)
    assert (await stored(settings)).opened(vault_for(new_secret_key)) == plain_values(1)


@SQLITE_ONLY
async def test_a_value_no_key_opens_is_reported_and_left_alone(settings: Settings) -> None:
    await seal_workflows(with_keys(settings, KEY_A), count=1)
    engine = create_engine(settings.database)
    try:
        async with transaction(create_session_factory(engine)) as session:
            workflow = (await session.exec(Workflow.__table__.select())).first()
            foreign = seal_secrets(
                {"secret": "sealed-elsewhere-1234"}, SecretVault((KEY_C.encode(),))
            )
            await session.exec(
                Workflow.__table__.update()
                .where(Workflow.__table__.c.id == workflow.id)
                .values(trigger={"signature": {"preset": "github", **foreign}})
            )
    finally:
        await engine.dispose()

    passes = await rotate_until_settled(with_keys(settings, f"{KEY_B},{KEY_A}"))

    trigger_count = only(passes[-1], "workflow.trigger")
    assert (trigger_count.unreadable, trigger_count.unreadable_ids) == (1, [workflow.id])
    assert (await stored(settings)).triggers[0]["signature"]["secret"] == foreign["secret"]
    assert only(passes[0], "step.config").rotated == 2  # the rest still moved on


def hookline(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    ours = ("DATABASE_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "HOOKLINE_ENV", "BROKER_URL")
    environ = {k: v for k, v in os.environ.items() if k not in ours}
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@SQLITE_ONLY
async def test_cli_secrets_rotate_reports_counts_and_is_idempotent(settings: Settings) -> None:
    await seal_workflows(with_keys(settings, KEY_A), count=2)
    env = {"DATABASE_URL": settings.database.url, "SECRET_KEY": settings.app.secret_key}

    refused = hookline("secrets", "rotate", **env)
    assert refused.returncode == 2 and "ENCRYPTION_KEYS is not set" in refused.stderr

    done = hookline("secrets", "rotate", ENCRYPTION_KEYS=f"{KEY_B},{KEY_A}", **env)
    assert done.returncode == 0, done.stderr
    assert "workflow.trigger: 2 rows with secrets, 2 values re-encrypted" in done.stdout
    assert "the other keys can be removed" in done.stdout
    assert (await stored(settings)).opened(SecretVault((KEY_B.encode(),))) == plain_values(2)

    again = hookline("secrets", "rotate", ENCRYPTION_KEYS=f"{KEY_B},{KEY_A}", **env)
    assert "step.config: 2 rows with secrets, 0 values re-encrypted, 4 already current" in (
        again.stdout
    )

    missing_a = hookline("secrets", "rotate", ENCRYPTION_KEYS=KEY_C, **env)
    assert missing_a.returncode == 1 and "open with no key in ENCRYPTION_KEYS" in missing_a.stderr
