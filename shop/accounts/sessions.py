"""Server-side web sessions in the database (advanced-alchemy's backend), with three changes:

- a new session id at every login (the login sets ``ROTATE``), so a planted id never becomes a login;
- anonymous visitors get no session row and no cookie until something is stored for them;
- an unchanged session is not written back on every page view (reads stay reads on SQLite);
- the signed-in principal is read in the same transaction as the session row and left in the scope for
  the authentication middleware, so a page view opens one read transaction for both, not two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar.session import SQLAlchemyAsyncSessionBackend
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from shop.accounts.models import WebSession
from shop.accounts.services import AuthService
from shop.timeutil import as_utc, utcnow
from shop.web.scope import AnyConnection, scope_value, set_scope_value

ROTATE = "_rotate"
SESSION_KEY = "p"  # who is signed in: "u:<user id>" or "h:<household id>"
GENERATION_KEY = "g"  # the account's credential generation at the login (absent: 0)
_LOADED = "_shop_session_loaded"
PRINCIPAL_LOADED = "_shop_session_principal"  # ((kind, id), Principal | None) read with the session row
RENEW_AFTER = timedelta(hours=12)


def principal_key(data: dict[str, Any]) -> tuple[str, int] | None:
    """Who a session's data says is signed in: ("user" | "household", id), or None."""
    raw = data.get(SESSION_KEY)
    if not isinstance(raw, str) or ":" not in raw:
        return None
    kind, _, ident = raw.partition(":")
    if kind not in ("u", "h") or not ident.isdigit():
        return None
    return ("user" if kind == "u" else "household"), int(ident)


def session_generation(data: dict[str, Any]) -> int:
    """The credential generation a session was made under: it ends when the account's grows."""
    value = data.get(GENERATION_KEY, 0)
    return value if isinstance(value, int) else -1


class ShopSessionBackend(SQLAlchemyAsyncSessionBackend):
    def __init__(self, config: DatabaseSessionConfig) -> None:
        assert config.alchemy is not None, "DatabaseSessionConfig needs the SQLAlchemy config"
        super().__init__(config=config, alchemy_config=config.alchemy, model=config.model)

    async def get(self, /, session_id: str, store: Store) -> bytes | None:
        async with self.alchemy.get_session() as db_session:
            db_session.info["readonly"] = True
            row = await self._get_session_obj(db_session=db_session, session_id=session_id[:255])
            if row is None or as_utc(row.expires_at) <= utcnow():
                return None
            return row.data

    async def load_from_connection(self, connection: AnyConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        if not session_id:
            return {}
        async with self.alchemy.get_session() as db_session:
            db_session.info["readonly"] = True
            row = await self._get_session_obj(db_session=db_session, session_id=session_id[:255])
            if row is None or as_utc(row.expires_at) <= utcnow():
                return {}
            data = self.deserialize_data(row.data)
            key = principal_key(data)
            if key is not None:
                principal = await AuthService(db_session, connection.app.state.hasher).load_principal(
                    *key, generation=session_generation(data)
                )
                set_scope_value(connection.scope, PRINCIPAL_LOADED, (key, principal))
        set_scope_value(connection.scope, _LOADED, (session_id, row.data, as_utc(row.expires_at)))
        return data

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: AnyConnection) -> None:
        scope = connection.scope
        headers = MutableScopeHeaders.from_message(message)
        cookie_params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        cookie_id = connection.cookies.get(self.config.key)
        store = self.config.get_store_from_app(scope["app"])

        if not isinstance(scope_session, dict) or not scope_session:  # Empty, or nothing stored
            if cookie_id:
                await self.delete(cookie_id, store=store)
                headers.add(
                    "Set-Cookie",
                    Cookie(value="null", key=self.config.key, expires=0, **cookie_params).to_header(header=""),
                )
            return

        data = dict(scope_session)
        rotate = bool(data.pop(ROTATE, False))
        serialised = self.serialize_data(data, scope)
        loaded: tuple[str, bytes, datetime] | None = scope_value(scope, _LOADED)

        session_id = cookie_id if (cookie_id and loaded and loaded[0] == cookie_id) else None
        if rotate or session_id is None:
            if cookie_id:
                await self.delete(cookie_id, store=store)
            session_id = self.generate_session_id()
        elif loaded and loaded[1] == serialised:
            fresh_until = loaded[2] - timedelta(seconds=self.config.max_age) + RENEW_AFTER
            if utcnow() < fresh_until:
                return  # unchanged and recently renewed: nothing to write
        await self.set(session_id=session_id, data=serialised, store=store)
        headers.add("Set-Cookie", Cookie(value=session_id, key=self.config.key, **cookie_params).to_header(header=""))


@dataclass
class DatabaseSessionConfig(ServerSideSessionConfig):
    alchemy: SQLAlchemyAsyncConfig | None = field(default=None)
    model: type[WebSession] = field(default=WebSession)
    # advanced-alchemy's backend does a server-side backend's job without deriving from Litestar's class:
    _backend_class = ShopSessionBackend  # type: ignore[assignment]
