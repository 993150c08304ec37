"""When a failed step is tried again: exponential backoff with jitter, or Retry-After. Pure.

The default policy makes 8 tries over about 12 hours (40 s, 2 min, 6 min, 18 min,
54 min, 2.7 h, 8.1 h between tries, each ±20 %). A destination's Retry-After wins,
capped so a hostile answer cannot park a run for days. A workflow may ask for its own
number of tries (1 = no retries); the waits stay the operator's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from app.workflows.engine import Decision


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 8
    first_delay_seconds: float = 40.0
    multiplier: float = 3.0
    jitter: float = 0.2
    max_retry_after_seconds: float = 3600.0


def policy_with_tries(policy: RetryPolicy, max_tries: int | None) -> RetryPolicy:
    """The operator's policy with a workflow's own number of tries, when it set one."""
    return policy if max_tries is None else replace(policy, max_tries=max_tries)


def retry_delay(
    policy: RetryPolicy,
    *,
    attempt: int,
    retry_after_seconds: float | None,
    rng: random.Random | None = None,
) -> timedelta | None:
    """How long to wait before try `attempt + 1`, or None when the tries are used up."""
    if attempt >= policy.max_tries:
        return None
    if retry_after_seconds is not None:
        capped = min(max(retry_after_seconds, 1.0), policy.max_retry_after_seconds)
        return timedelta(seconds=capped)
    base = policy.first_delay_seconds * policy.multiplier ** (attempt - 1)
    spread = (rng or random).uniform(1 - policy.jitter, 1 + policy.jitter)
    return timedelta(seconds=base * spread)


def retry_decision(*, step_index: int, now: datetime, delay: timedelta) -> Decision:
    """Run the same step again once `delay` has passed; the run stays unfinished."""
    return Decision(status="running", next_step=step_index, wake_at=now + delay)


def total_retry_window(policy: RetryPolicy) -> timedelta:
    """The nominal time from the first try to the last (without jitter)."""
    seconds = sum(
        policy.first_delay_seconds * policy.multiplier**n for n in range(policy.max_tries - 1)
    )
    return timedelta(seconds=seconds)
