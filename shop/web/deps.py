"""Dependencies every domain's handlers share: the caller, the hasher, paging, settings, the process's domain events."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.accounts.secrets import SecretHasher
from shop.db import provide_db_session
from shop.events import DomainEvents
from shop.paging import Paging, provide_paging
from shop.settings import Settings


def provide_actor(request: Request[Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException()
    return user


def provide_hasher(state: State) -> SecretHasher:
    return state.hasher


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_events(state: State) -> DomainEvents:
    return state.domains.events


SHARED_DEPENDENCIES = {
    "db_session": Provide(provide_db_session),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "hasher": Provide(provide_hasher, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "paging": Provide(provide_paging, sync_to_thread=False),
    "events": Provide(provide_events, sync_to_thread=False),
}


# How handlers name what they are given (Litestar 3 wants injected names marked explicitly).
Actor = NamedDependency[Principal]
DbSession = NamedDependency[AsyncSession]
Hasher = NamedDependency[SecretHasher]
AppSettings = NamedDependency[Settings]
PageParams = NamedDependency[Paging]
Events = NamedDependency[DomainEvents]
