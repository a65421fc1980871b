"""GET /healthz: is the database reachable, and when did the scheduler last beat."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from sqlalchemy import text

from shop.ops.lease import lease_state
from shop.timeutil import utcnow
from shop.web.auth import PUBLIC
from shop.web.deps import DbSession


@get("/healthz", opt=PUBLIC, include_in_schema=False, cache=False)
async def healthz(db_session: DbSession) -> Response[dict[str, Any]]:
    try:
        await db_session.execute(text("SELECT 1"))
        lease = await lease_state(db_session)
    except Exception as exc:
        return Response({"status": "down", "database": type(exc).__name__}, status_code=503)
    scheduler: dict[str, Any] = {"running": False}
    if lease is not None:
        age = (utcnow() - lease.heartbeat_at).total_seconds()
        scheduler = {"running": lease.expires_at > utcnow(), "last_beat_seconds_ago": round(age, 1)}
    return Response({"status": "ok", "database": "ok", "scheduler": scheduler})
