"""Re-encrypting every sealed value with the current key (`hookline secrets rotate`).

Sealed values live in JSON columns: a workflow's trigger settings, each step's config
and each run's plan (the copy of the steps a run executes). Every string carrying the
sealed prefix is re-encrypted wherever it sits in the tree, whatever its key name.
Rows are read in id order, one batch per transaction, and locked (FOR UPDATE on
PostgreSQL; SQLite has one writer at a time) so a concurrent save is never overwritten
with stale data. A value already encrypted with the first key is left as it is, so the
pass is idempotent; a value no configured key opens is left untouched and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from sqlmodel import col, select

from app.settings import Settings
from app.store.db import SessionFactory, create_engine, create_session_factory, transaction
from app.store.sealing import SEALED_PREFIX, SecretVault, is_sealed, vault_for
from app.store.tables import Run, Step, Workflow

# (table, JSON column) pairs that may hold sealed values. A new sealed column goes here.
SealedModel = type[Workflow] | type[Step] | type[Run]
SEALED_COLUMNS: tuple[tuple[SealedModel, str], ...] = (
    (Workflow, "trigger"),
    (Step, "config"),
    (Run, "plan"),
)
UNREADABLE_IDS_KEPT = 10


@dataclass
class RotationCount:
    """What one pass did to one table."""

    table: str
    rows_with_secrets: int = 0
    rows_updated: int = 0
    rotated: int = 0
    already_current: int = 0
    unreadable: int = 0
    unreadable_ids: list[int] = field(default_factory=list)


def _reseal_tree(tree: Any, vault: SecretVault, count: RotationCount) -> Any:
    if isinstance(tree, dict):
        return {key: _reseal_tree(value, vault, count) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_reseal_tree(item, vault, count) for item in tree]
    if not is_sealed(tree):
        return tree
    if vault.is_current(tree):
        count.already_current += 1
        return tree
    try:
        rotated = vault.rotate(tree)
    except InvalidToken:
        count.unreadable += 1
        return tree
    count.rotated += 1
    return rotated


async def _rotate_batch(
    factory: SessionFactory,
    model: SealedModel,
    column: str,
    *,
    after_id: int,
    batch_size: int,
    vault: SecretVault,
    count: RotationCount,
) -> int | None:
    """Re-seal one batch of rows after `after_id`; the last id seen, or None when done."""
    id_column, json_column = col(model.id), getattr(model, column)
    query = (
        select(model)
        .where(id_column > after_id)
        .where(sa.cast(json_column, sa.Text).contains(SEALED_PREFIX, autoescape=True))
        .order_by(id_column)
        .limit(batch_size)
        .with_for_update()
    )
    async with transaction(factory) as session:
        rows = cast(list[Workflow | Step | Run], list((await session.exec(query)).all()))
        for row in rows:
            count.rows_with_secrets += 1
            unreadable_before = count.unreadable
            old = getattr(row, column)
            new = _reseal_tree(old, vault, count)
            if count.unreadable > unreadable_before and len(count.unreadable_ids) < (
                UNREADABLE_IDS_KEPT
            ):
                count.unreadable_ids.append(int(row.id or 0))
            if new != old:
                setattr(row, column, new)  # a new object: SQLAlchemy sees the change
                session.add(row)
                count.rows_updated += 1
    return int(rows[-1].id or 0) if rows else None


async def rotate_sealed_values(
    factory: SessionFactory,
    vault: SecretVault,
    *,
    batch_size: int = 200,
) -> list[RotationCount]:
    """One pass over every sealed column: re-encrypt with the vault's first key."""
    counts: list[RotationCount] = []
    for model, column in SEALED_COLUMNS:
        count = RotationCount(table=f"{model.__tablename__}.{column}")
        last_id: int | None = 0
        while last_id is not None:
            last_id = await _rotate_batch(
                factory,
                model,
                column,
                after_id=last_id,
                batch_size=batch_size,
                vault=vault,
                count=count,
            )
        counts.append(count)
    return counts


async def rotate_until_settled(
    settings: Settings, *, batch_size: int = 200, max_passes: int = 3
) -> list[list[RotationCount]]:
    """Passes until one re-encrypts nothing (web and workers may save while a pass runs).

    The last pass doubles as the check that nothing needs an old key any more.
    """
    engine = create_engine(settings.database)
    passes: list[list[RotationCount]] = []
    try:
        factory = create_session_factory(engine)
        vault = vault_for(settings)
        while len(passes) < max_passes:
            passes.append(await rotate_sealed_values(factory, vault, batch_size=batch_size))
            if not any(count.rotated for count in passes[-1]):
                break
    finally:
        await engine.dispose()
    return passes
