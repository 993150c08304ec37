"""History queries: newest first, keyset pages, and nobody sees another user's objects."""

from __future__ import annotations

from app.settings import Settings
from app.store.db import SessionFactory, transaction
from app.store.history import get_user_event, get_user_run, list_workflow_runs
from app.store.workflows import get_user_workflow
from tests.store.conftest import HTTP_STEP, Owner, store_event


async def test_list_workflow_runs_is_newest_first_in_keyset_pages(
    sessions: SessionFactory, alice: Owner
) -> None:
    run_ids = []
    for _ in range(5):
        recorded = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
        run_ids.append(recorded.run_id)
    newest_first = list(reversed(run_ids))

    seen: list[int | None] = []
    before = None
    async with transaction(sessions) as session:
        while True:
            page = await list_workflow_runs(
                session, workflow_id=alice.workflow_id, before_id=before, limit=2
            )
            if not page:
                break
            seen.extend(run.id for run in page)
            before = page[-1].id
    assert seen == newest_first


async def test_user_scoped_getters_return_none_for_another_user(
    sessions: SessionFactory, settings: Settings, alice: Owner, bob: Owner
) -> None:
    recorded = await store_event(sessions, alice.workflow_id, plan=[HTTP_STEP])
    assert recorded.run_id is not None
    async with transaction(sessions) as session:
        assert await get_user_run(session, user_id=alice.user_id, run_id=recorded.run_id)
        assert await get_user_run(session, user_id=bob.user_id, run_id=recorded.run_id) is None
        assert (
            await get_user_event(session, user_id=bob.user_id, event_id=recorded.event_id) is None
        )
        assert await get_user_workflow(
            session, user_id=alice.user_id, workflow_id=alice.workflow_id
        )
        assert (
            await get_user_workflow(session, user_id=bob.user_id, workflow_id=alice.workflow_id)
            is None
        )
        assert await get_user_workflow(session, user_id=alice.user_id, workflow_id=999_999) is None
