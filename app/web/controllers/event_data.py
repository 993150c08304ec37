"""Deleting an event's data, from the event page (form + confirm) and the API.

The event stays listed with its time and size and a "data deleted" mark; its runs stay
listed too. Other users' events answer 404.
"""

from __future__ import annotations

from litestar import Controller, delete, post
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlmodel.ext.asyncio.session import AsyncSession

from app.store.event_data import delete_event_data
from app.store.tables import User
from app.web.owned import owned_event
from app.web.params import ObjectId


async def delete_owned_event_data(db: AsyncSession, user: User, event_id: int) -> None:
    await delete_event_data(db, event=await owned_event(db, user, event_id))


class EventDataPagesController(Controller):
    path = "/"

    @post("/events/{event_id:int}/delete-data")
    async def delete_data_page(
        self, event_id: ObjectId, db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> Redirect:
        await delete_owned_event_data(db, user, event_id)
        return Redirect(path=f"/events/{event_id}")


class EventDataApiController(Controller):
    path = "/api/v1"
    tags = ["history"]

    @delete("/events/{event_id:int}/data")
    async def delete_data_api(
        self, event_id: ObjectId, db: NamedDependency[AsyncSession], user: NamedDependency[User]
    ) -> None:
        """Delete the event's body, headers, query and files (and what its runs sent and
        received); the event and its runs stay listed, marked `data_deleted_at`."""
        await delete_owned_event_data(db, user, event_id)
