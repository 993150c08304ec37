"""What the webhook edge reads about a URL's workflow, as stored (both databases' fast paths).

The raw trigger JSON and step rows are also the key of the edge's cache of decrypted
triggers and plans (`app.web.hook_intake.HookFacts`), so an edit is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredHook:
    """A URL's workflow as stored: raw trigger JSON and step rows (the cache key upstream)."""

    workflow_id: int
    enabled: bool
    trigger_json: str | None
    steps_json: tuple[tuple[str, str | None, bool, str], ...]
