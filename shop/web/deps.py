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


# The application's state is an untyped bag (Litestar's State): each provider names what it takes from it.


def provide_hasher(state: State) -> SecretHasher:
    hasher: SecretHasher = state.hasher
    return hasher


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_events(state: State) -> DomainEvents:
    events: DomainEvents = state.domains.events
    return events


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
