"""The inbox page (staff, trainees and households alike)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from shop.notifications.schemas import NotificationOut
from shop.notifications.services import inbox, mark_read
from shop.paging import Paging
from shop.web.deps import Actor, DbSession


@get("/inbox", name="inbox")
async def inbox_page(actor: Actor, db_session: DbSession) -> Template:
    rows, total = await inbox(db_session, actor, Paging(limit=100))
    return Template(
        "notifications/inbox.html",
        context={"notes": [NotificationOut.of(n) for n in rows], "total": total, "user": actor},
    )


@post("/inbox/read")
async def inbox_read(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    await mark_read(db_session, actor)
    return Redirect("/inbox", status_code=303)


ROUTES = [inbox_page, inbox_read]
