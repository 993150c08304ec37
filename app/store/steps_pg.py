"""Claiming and recording a step on PostgreSQL in one or two statements, outside the ORM.

The common case of `runs.claim_next_step` + the context reads, and of
`runs.record_step_outcome` + the end-of-run count, on a raw asyncpg connection in
autocommit mode (prepared_pg.py): no BEGIN, COMMIT or pre-ping round trips.

Claim = one read (run, workflow, bulk-replay flag, the step's attempts, the event and the
earlier outputs) and one write: a data-modifying CTE that moves the run to "running"
only if it is still exactly as read (status, step, `updated_at`), then inserts the
attempt row unique on (run, step, attempt), which remains the claim: a second claimer
gets a unique violation (None), a run changed in between takes the full path. Anything
unusual goes to the full path before anything is written, as on SQLite
(steps_sqlite.py, whose result types are shared): a run at its end, a delay step, an
attempt still "running", and on recording a failed run, a changed plan, a bulk replay.

Record = one statement. A run that ends without failing resets the workflow's failure
streak without serialising successes on the workflow row: it takes a SHARE lock (which
successes share, but which waits for a failure's uncommitted count) and writes the row
only when the streak it then reads is not 0. Two successes that both find a streak to
reset can deadlock on that upgrade; PostgreSQL aborts one, which is retried.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from app.store.prepared_pg import CONNECTION_LOST, PgPrepared, raw_connection
from app.store.runs import AttemptRecord, StepClaim
from app.store.step_retries import ROUND_ENDING
from app.store.steps_sqlite import (
    FULL_PATH,
    FullPath,
    SqliteClaim,
    StoredEvent,
    attempt_outcome,
)
from app.store.tables import TERMINAL_RUN_STATUSES, utcnow
from app.workflows.engine import NOT_BEFORE_KEY, Decision, not_before

_RUN = SQLModel.metadata.tables["run"]
_ATTEMPT = SQLModel.metadata.tables["step_attempt"]
_EVENT = SQLModel.metadata.tables["event"]
_WORKFLOW = SQLModel.metadata.tables["workflow"]
_ITEM = SQLModel.metadata.tables["bulk_replay_item"]
_DEADLOCK_RETRIES = 3


def _typed(table: sa.Table, name: str, key: str | None = None) -> sa.BindParameter[Any]:
    return sa.bindparam(key or name, type_=table.c[name].type)


_here = sa.and_(_ATTEMPT.c.run_id == _RUN.c.id, _ATTEMPT.c.step_index == _RUN.c.next_step)
_round_ending = sa.or_(*(_ATTEMPT.c.status == status for status in ROUND_ENDING))
_seen = (
    sa.select(
        _RUN.c.id,
        _RUN.c.status,
        _RUN.c.plan,
        _RUN.c.next_step,
        _RUN.c.workflow_id,
        _RUN.c.event_id,
        _RUN.c.updated_at,
        _WORKFLOW.c.retry_max_tries,
        sa.exists()
        .where(_ITEM.c.run_id == _RUN.c.id, _ITEM.c.status == "running")
        .label("in_bulk_replay"),
        sa.select(sa.func.count()).where(_here).scalar_subquery().label("attempts"),
        sa.select(sa.func.max(sa.case((_round_ending, _ATTEMPT.c.attempt))))
        .where(_here)
        .scalar_subquery()
        .label("earlier"),
        sa.select(_ATTEMPT.c.status)
        .where(_here)
        .order_by(_ATTEMPT.c.attempt.desc())
        .limit(1)
        .scalar_subquery()
        .label("last_status"),
        sa.select(
            sa.func.array_agg(
                aggregate_order_by(
                    sa.func.coalesce(_ATTEMPT.c.output_json, "null"), _ATTEMPT.c.step_index
                )
            )
        )
        .where(_ATTEMPT.c.run_id == _RUN.c.id, _ATTEMPT.c.status == "succeeded")
        .where(_ATTEMPT.c.step_index < _RUN.c.next_step)
        .scalar_subquery()
        .label("outputs"),
        *(_EVENT.c[name].label(f"ev_{name}") for name in StoredEvent.__dataclass_fields__),
    )
    .join(_WORKFLOW, _WORKFLOW.c.id == _RUN.c.workflow_id)
    .outerjoin(_EVENT, _EVENT.c.id == _RUN.c.event_id)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .cte("seen")
)
_step = _seen.c.plan.op("->")(_seen.c.next_step)
# At least as strict as the checks in claim_on_postgres: what they let through but this
# does not is a run that changed meanwhile, which takes the full path.
_claimable = sa.and_(
    *(_seen.c.status != status for status in sorted(TERMINAL_RUN_STATUSES)),
    _seen.c.next_step < sa.func.jsonb_array_length(_seen.c.plan),
    _step.op("->")(NOT_BEFORE_KEY).is_(None),
    _seen.c.last_status.is_distinct_from("running"),
)
_moved = (
    sa.update(_RUN)
    .where(
        _RUN.c.id == _seen.c.id,
        _RUN.c.status == _seen.c.status,
        _RUN.c.next_step == _seen.c.next_step,
        _RUN.c.updated_at == _seen.c.updated_at,
        _claimable,
    )
    .values(
        status="running",
        lease_until=_typed(_RUN, "lease_until"),
        updated_at=_typed(_RUN, "updated_at", "now"),
    )
    .returning(_RUN.c.id)
    .cte("moved")
)
_inserted = (
    sa.insert(_ATTEMPT)
    .from_select(
        ["run_id", "step_index", "attempt", "step_type", "status", "started_at"],
        sa.select(
            _moved.c.id,
            _seen.c.next_step,
            _seen.c.attempts + 1,
            sa.func.coalesce(_step.op("->>")("type"), ""),
            sa.literal("running", _ATTEMPT.c.status.type),
            _typed(_ATTEMPT, "started_at", "now"),
        ).join(_seen, _seen.c.id == _moved.c.id),
    )
    .returning(_ATTEMPT.c.id)
    .cte("inserted")
)
# One round trip: read the run and what the step needs, and claim it when it is common.
_CLAIM = PgPrepared(
    sa.select(
        *(column for column in _seen.c if column.key != "id"),
        sa.select(_inserted.c.id).scalar_subquery().label("attempt_id"),
    )
)


async def claim_on_postgres(
    engine: AsyncEngine, *, run_id: int, lease: timedelta
) -> SqliteClaim | FullPath | None:
    """Claim the run's next step in the common case; None when there is nothing to do."""
    now = utcnow()
    values = {"run_id": run_id, "lease_until": now + lease, "now": now}
    try:
        async with raw_connection(engine) as connection:
            row = await _CLAIM.fetchrow(connection, values)
    except asyncpg.UniqueViolationError:
        return None  # claimed by someone else meanwhile
    if row is None or row["status"] in TERMINAL_RUN_STATUSES:
        return None
    plan: list[dict[str, Any]] = row["plan"]
    index = row["next_step"]
    if index >= len(plan) or not_before(plan[index]) is not None:
        return FULL_PATH
    if row["last_status"] == "running" or row["attempt_id"] is None:
        # Another worker holds it, a dead one left it, or the run changed meanwhile.
        return FULL_PATH
    claim = StepClaim(
        run_id=run_id,
        workflow_id=row["workflow_id"],
        event_id=row["event_id"],
        step_index=index,
        attempt_id=row["attempt_id"],
        step=plan[index],
        plan_length=len(plan),
        attempt=row["attempts"] + 1,
    )
    return SqliteClaim(
        claim=claim,
        retry_max_tries=row["retry_max_tries"],
        earlier_round_attempts=int(row["earlier"] or 0),
        in_bulk_replay=bool(row["in_bulk_replay"]),
        event=_event(row),
        outputs=list(row["outputs"] or []),
    )


def _event(row: asyncpg.Record) -> StoredEvent | None:
    if row["ev_id"] is None:
        return None
    return StoredEvent(**{name: row[f"ev_{name}"] for name in StoredEvent.__dataclass_fields__})


_recorded = (
    sa.update(_ATTEMPT)
    .where(_ATTEMPT.c.id == sa.bindparam("attempt_id"))
    .values(
        {
            name: _typed(_ATTEMPT, name)
            for name in (
                *("status", "finished_at", "duration_ms", "request", "response"),
                *("output_json", "error", "warnings"),
            )
        }
    )
    .returning(_ATTEMPT.c.id)
    .cte("recorded")
)
_MOVE_ON = PgPrepared(
    sa.update(_RUN)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .values(
        next_step=_typed(_RUN, "next_step"),
        status=_typed(_RUN, "status", "run_status"),
        lease_until=_typed(_RUN, "lease_until"),
        updated_at=_typed(_RUN, "updated_at", "finished_at"),
    )
    .add_cte(_recorded)
)
_finished = (
    sa.update(_RUN)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .values(
        status=_typed(_RUN, "status", "run_status"),
        error=None,
        finished_at=_typed(_RUN, "finished_at"),
        updated_at=_typed(_RUN, "updated_at", "finished_at"),
        lease_until=None,
    )
    .returning(_RUN.c.id)
    .cte("finished")
)
# SHARE: successes do not wait for each other, only for a failure's uncommitted count.
_streak = (
    sa.select(_WORKFLOW.c.id, _WORKFLOW.c.failure_streak)
    .where(_WORKFLOW.c.id == sa.bindparam("workflow_id"))
    .with_for_update(read=True)
    .cte("streak")
)
_reset = (
    sa.update(_WORKFLOW)
    .where(_WORKFLOW.c.id == _streak.c.id, _streak.c.failure_streak != 0)
    .values(failure_streak=0)
    .returning(_WORKFLOW.c.id)
    .cte("reset")
)
_FINISH = PgPrepared(
    sa.select(
        sa.select(_streak.c.failure_streak).scalar_subquery(),
        sa.select(sa.func.count()).select_from(_reset).scalar_subquery(),
    ).add_cte(_recorded, _finished)
)


async def record_on_postgres(
    engine: AsyncEngine,
    *,
    claim: StepClaim,
    record: AttemptRecord,
    decision: Decision,
    lease: timedelta,
) -> None:
    """`runs.record_step_outcome` (+ the success count) for what `can_record_on_sqlite` allows.

    Idempotent (it sets the same values again), so a lost connection or a deadlock is
    retried: the step's request has gone out already and its outcome must be kept.
    """
    now = utcnow()
    values = {
        **attempt_outcome(claim, record, now),
        "run_id": claim.run_id,
        "run_status": decision.status,
    }
    if decision.next_step is not None:
        statement = _MOVE_ON
        values.update(next_step=decision.next_step, lease_until=now + lease)
    else:
        statement = _FINISH
        values.update(workflow_id=claim.workflow_id)
    for tries_left in reversed(range(_DEADLOCK_RETRIES)):
        try:
            async with raw_connection(engine) as connection:
                await statement.execute(connection, values)
            return
        except (asyncpg.DeadlockDetectedError, *CONNECTION_LOST):
            if not tries_left:
                raise
