"""Claiming and recording a step on SQLite, for the writer thread: a few statements each.

The common case of `runs.claim_next_step` + the context reads, and of
`runs.record_step_outcome` + the end-of-run count, on a plain `sqlite3` connection
(prepared.py). Same rules: an attempt row unique on (run, step, attempt) is the claim, so
a second claimer gets None; the run's lease moves with it. Anything unusual is left to
the full async path, decided before this unit writes anything (`FULL_PATH`): a run at
its end, a delay step, an attempt still "running" (a dead worker: retry or unknown
outcome), a run that fails (alerts, auto-pause), a plan that changes (paths, retries,
delays), a run of a bulk replay.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.store.prepared import Prepared, bind_all, reader
from app.store.runs import AttemptRecord, StepClaim
from app.store.step_retries import ROUND_ENDING
from app.store.tables import TERMINAL_RUN_STATUSES, utcnow
from app.workflows.engine import Decision, not_before

FULL_PATH: Final = "full path"
FullPath = Literal["full path"]

_RUN = SQLModel.metadata.tables["run"]
_ATTEMPT = SQLModel.metadata.tables["step_attempt"]
_EVENT = SQLModel.metadata.tables["event"]
_WORKFLOW = SQLModel.metadata.tables["workflow"]
_ITEM = SQLModel.metadata.tables["bulk_replay_item"]
_read_time = reader(_EVENT.c.received_at)


@dataclass(frozen=True)
class StoredEvent:
    """The event fields templates see as `trigger`."""

    id: int
    method: str
    headers: list[list[str]]
    query_string: str
    parsed_json: str | None
    content_type: str | None
    received_at: datetime


@dataclass(frozen=True)
class SqliteClaim:
    """A claimed step with what running it needs, read in the claim's transaction."""

    claim: StepClaim
    retry_max_tries: int | None
    earlier_round_attempts: int
    in_bulk_replay: bool
    event: StoredEvent | None
    outputs: list[str]


_LOAD_RUN = Prepared(
    sa.select(
        _RUN.c.status,
        _RUN.c.plan,
        _RUN.c.next_step,
        _RUN.c.workflow_id,
        _RUN.c.event_id,
        _WORKFLOW.c.retry_max_tries,
        sa.exists()
        .where(_ITEM.c.run_id == _RUN.c.id, _ITEM.c.status == "running")
        .label("in_bulk_replay"),
    )
    .join(_WORKFLOW, _WORKFLOW.c.id == _RUN.c.workflow_id)
    .where(_RUN.c.id == sa.bindparam("run_id"))
)
_last = (
    sa.select(_ATTEMPT.c.status)
    .where(_ATTEMPT.c.run_id == sa.bindparam("run_id"))
    .where(_ATTEMPT.c.step_index == sa.bindparam("step_index"))
    .order_by(_ATTEMPT.c.attempt.desc())
    .limit(1)
    .scalar_subquery()
)
_ATTEMPTS_SO_FAR = Prepared(
    sa.select(
        sa.func.count(),
        sa.func.max(
            sa.case((sa.or_(*(_ATTEMPT.c.status == s for s in ROUND_ENDING)), _ATTEMPT.c.attempt))
        ),
        _last,
    ).where(
        _ATTEMPT.c.run_id == sa.bindparam("run_id"),
        _ATTEMPT.c.step_index == sa.bindparam("step_index"),
    )
)
_INSERT_ATTEMPT = Prepared(
    sa.insert(_ATTEMPT)
    .values(
        bind_all(_ATTEMPT, ["run_id", "step_index", "attempt", "step_type", "status", "started_at"])
    )
    .returning(_ATTEMPT.c.id)
)
_MARK_RUNNING = Prepared(
    sa.update(_RUN)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .values(bind_all(_RUN, ["status", "lease_until", "updated_at"]))
)
_LOAD_EVENT = Prepared(
    sa.select(
        _EVENT.c.id,
        _EVENT.c.method,
        _EVENT.c.headers,
        _EVENT.c.query_string,
        _EVENT.c.parsed_json,
        _EVENT.c.content_type,
        _EVENT.c.received_at,
    ).where(_EVENT.c.id == sa.bindparam("event_id"))
)
_OUTPUTS = Prepared(
    sa.select(_ATTEMPT.c.output_json)
    .where(_ATTEMPT.c.run_id == sa.bindparam("run_id"), _ATTEMPT.c.status == "succeeded")
    .where(_ATTEMPT.c.step_index < sa.bindparam("step_index"))
    .order_by(_ATTEMPT.c.step_index)
)


def claim_on_sqlite(
    connection: sqlite3.Connection, *, run_id: int, lease: timedelta
) -> SqliteClaim | FullPath | None:
    """Claim the run's next step in the common case; None when there is nothing to do."""
    rows = _LOAD_RUN.execute(connection, {"run_id": run_id}).fetchall()
    if not rows:
        return None
    status, plan_json, index, workflow_id, event_id, retry_max_tries, in_bulk = rows[0]
    if status in TERMINAL_RUN_STATUSES:
        return None
    plan: list[dict[str, Any]] = json.loads(plan_json)
    if index >= len(plan) or not_before(plan[index]) is not None:
        return FULL_PATH
    where = {"run_id": run_id, "step_index": index}
    count, earlier, last_status = _ATTEMPTS_SO_FAR.execute(connection, where).fetchall()[0]
    if last_status == "running":
        return FULL_PATH  # another worker holds it, or a dead one left it: the full rules
    now, step = utcnow(), plan[index]
    attempt = {
        **where,
        "attempt": count + 1,
        "step_type": str(step.get("type", "")),
        "status": "running",
        "started_at": now,
    }
    try:
        attempt_id = int(_INSERT_ATTEMPT.scalar(connection, attempt))
    except sqlite3.IntegrityError:
        return None  # claimed by someone else meanwhile
    running = {"run_id": run_id, "status": "running", "lease_until": now + lease, "updated_at": now}
    _MARK_RUNNING.execute(connection, running)
    claim = StepClaim(
        run_id=run_id,
        workflow_id=workflow_id,
        event_id=event_id,
        step_index=index,
        attempt_id=attempt_id,
        step=step,
        plan_length=len(plan),
        attempt=count + 1,
    )
    return SqliteClaim(
        claim=claim,
        retry_max_tries=retry_max_tries,
        earlier_round_attempts=int(earlier or 0),
        in_bulk_replay=bool(in_bulk),
        event=_load_event(connection, event_id),
        outputs=_outputs(connection, where) if index > 0 else [],
    )


def _load_event(connection: sqlite3.Connection, event_id: int | None) -> StoredEvent | None:
    if event_id is None:
        return None
    rows = _LOAD_EVENT.execute(connection, {"event_id": event_id}).fetchall()
    if not rows:
        return None
    found, method, headers, query, parsed, content_type, received_at = rows[0]
    return StoredEvent(
        id=found,
        method=method,
        headers=json.loads(headers),
        query_string=query,
        parsed_json=parsed,
        content_type=content_type,
        received_at=_read_time(received_at),
    )


def _outputs(connection: sqlite3.Connection, where: dict[str, int]) -> list[str]:
    return [output or "null" for (output,) in _OUTPUTS.execute(connection, where).fetchall()]


_RECORD_ATTEMPT = Prepared(
    sa.update(_ATTEMPT)
    .where(_ATTEMPT.c.id == sa.bindparam("attempt_id"))
    .values(
        bind_all(
            _ATTEMPT,
            [
                *("status", "finished_at", "duration_ms", "request", "response"),
                *("output_json", "error", "warnings"),
            ],
        )
    )
)
_MOVE_ON = Prepared(
    sa.update(_RUN)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .values(bind_all(_RUN, ["next_step", "status", "lease_until", "updated_at"]))
)
_FINISH = Prepared(
    sa.update(_RUN)
    .where(_RUN.c.id == sa.bindparam("run_id"))
    .values(bind_all(_RUN, ["status", "error", "finished_at", "updated_at", "lease_until"]))
)
# `!= 0` is safe here (unlike on PostgreSQL, see store/alerts.py): SQLite serialises write
# transactions, so a failure's count has committed before this one reads the streak.
_RESET_STREAK = Prepared(
    sa.update(_WORKFLOW)
    .where(_WORKFLOW.c.id == sa.bindparam("workflow_id"), _WORKFLOW.c.failure_streak != 0)
    .values(failure_streak=0)
)


def can_record_on_sqlite(claimed: SqliteClaim, decision: Decision) -> bool:
    """True for the common outcomes: the run moves on unchanged, or ends without failing."""
    if decision.next_step is not None:
        return not decision.insert_steps and decision.wake_at is None
    return decision.status != "failed" and not claimed.in_bulk_replay


def attempt_outcome(claim: StepClaim, record: AttemptRecord, now: datetime) -> dict[str, Any]:
    """The finished attempt's columns, as both databases' fast paths write them."""
    return {
        "attempt_id": claim.attempt_id,
        "status": record.status,
        "finished_at": now,
        "duration_ms": record.duration_ms,
        "request": record.request,
        "response": record.response,
        "output_json": record.output_json,
        "error": record.error,
        "warnings": record.warnings or None,
    }


def record_on_sqlite(
    connection: sqlite3.Connection,
    *,
    claim: StepClaim,
    record: AttemptRecord,
    decision: Decision,
    lease: timedelta,
) -> None:
    """`runs.record_step_outcome` (+ the success count) for what `can_record_on_sqlite` allows."""
    now = utcnow()
    _RECORD_ATTEMPT.execute(connection, attempt_outcome(claim, record, now))
    run: dict[str, Any] = {"run_id": claim.run_id, "status": decision.status, "updated_at": now}
    if decision.next_step is not None:
        _MOVE_ON.execute(
            connection, {**run, "next_step": decision.next_step, "lease_until": now + lease}
        )
        return
    _FINISH.execute(connection, {**run, "error": None, "finished_at": now, "lease_until": None})
    _RESET_STREAK.execute(connection, {"workflow_id": claim.workflow_id})
