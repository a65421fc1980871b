"""JSON API: the caller's in-app inbox."""

from __future__ import annotations

from litestar import Controller, get, post

from shop.notifications.schemas import NotificationOut
from shop.notifications.services import inbox, mark_read
from shop.paging import Page
from shop.web.deps import Actor, DbSession, PageParams
from shop.web.params import IdPath


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]

    @get("/")
    async def list_notifications(
        self, db_session: DbSession, actor: Actor, paging: PageParams
    ) -> Page[NotificationOut]:
        """The caller's inbox, newest first (a villager's: their household's)."""
        rows, total = await inbox(db_session, actor, paging)
        return Page([NotificationOut.of(n) for n in rows], total, paging.limit, paging.offset)

    @post("/{notification_id:int}/read", status_code=204)
    async def read_one(self, notification_id: IdPath, db_session: DbSession, actor: Actor) -> None:
        await mark_read(db_session, actor, notification_id)

    @post("/read", status_code=204)
    async def read_all(self, db_session: DbSession, actor: Actor) -> None:
        await mark_read(db_session, actor)
