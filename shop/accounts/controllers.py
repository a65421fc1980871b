"""JSON API: tokens, the caller, and staff users."""

from __future__ import annotations

from typing import Annotated, Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from shop.accounts.access import end_access
from shop.accounts.schemas import (
    HouseholdTokenRequest,
    MeOut,
    PasswordReset,
    TokenOut,
    TokenRequest,
    UserIn,
    UserOut,
    UserPatch,
)
from shop.accounts.services import (
    AuthService,
    Logins,
    UserChanges,
    UserService,
    principal_for_household,
    principal_for_user,
)
from shop.paging import Page
from shop.web.auth import PUBLIC, TokenCache, bearer_token, requires_account
from shop.web.client import client_address
from shop.web.deps import Actor, AppSettings, DbSession, Hasher, PageParams
from shop.web.params import IdPath


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", opt=PUBLIC, status_code=200, security=[])
    async def staff_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenRequest],
        db_session: DbSession,
        hasher: Hasher,
        settings: AppSettings,
    ) -> TokenOut:
        """Exchange a staff username and password for a bearer token (10 wrong passwords from one address
        lock that address out of the account for 15 minutes; see docs/security.md)."""
        logins: Logins = request.app.state.logins
        user = await logins.user(data.username, data.password, client_address(request.scope))
        token, expires_at = await AuthService(db_session, hasher).issue_token(
            principal_for_user(user), settings.api_token_ttl
        )
        return TokenOut(access_token=token, expires_at=expires_at)

    @post("/household-token", opt=PUBLIC, status_code=200, security=[])
    async def household_token(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[HouseholdTokenRequest],
        db_session: DbSession,
        hasher: Hasher,
        settings: AppSettings,
    ) -> TokenOut:
        """Exchange a household code and 6-digit PIN for a bearer token (5 wrong PINs from one address lock
        that address out of the household for 15 minutes)."""
        logins: Logins = request.app.state.logins
        household = await logins.household(data.household_code, data.pin, client_address(request.scope))
        token, expires_at = await AuthService(db_session, hasher).issue_token(
            principal_for_household(household), settings.api_token_ttl
        )
        return TokenOut(access_token=token, expires_at=expires_at)

    @post("/sign-out-everywhere", status_code=204)
    async def sign_out_everywhere(self, actor: Actor, db_session: DbSession) -> None:
        """End every session and token of the caller's account or household, this token included."""
        await end_access(db_session, actor.kind, actor.id)

    @delete("/token", status_code=204)
    async def revoke_token(self, request: Request[Any, Any, Any], db_session: DbSession, hasher: Hasher) -> None:
        """Revoke the token this call carries (log out of the API)."""
        token = bearer_token(request)
        if token:
            await AuthService(db_session, hasher).revoke_token(token)
            cache: TokenCache = request.app.state.token_cache
            cache.drop(token)


class MeController(Controller):
    path = "/me"
    tags = ["auth"]

    @get("/")
    async def me(self, actor: Actor) -> MeOut:
        """Who the token belongs to."""
        return MeOut(kind=actor.kind, id=actor.id, role=actor.role, village_id=actor.village_id, name=actor.name)


class UserController(Controller):
    path = "/users"
    tags = ["users"]
    guards = [requires_account]
    dependencies = {"users": Provide(create_service_provider(UserService))}

    @post("/")
    async def create_user(
        self, data: JSONBody[UserIn], users: NamedDependency[UserService], actor: Actor, hasher: Hasher
    ) -> UserOut:
        """Create a staff account (admin): a secretary or trainee names ``village_id``, a township officer
        ``township`` and ``county``, a county supervisor ``county``; a secretary creates trainees of their own
        village."""
        user = await users.create_user(
            actor,
            hasher,
            username=data.username,
            password=data.password,
            role=data.role,
            village_id=data.village_id,
            display_name=data.display_name,
            phone=data.phone,
            township=data.township,
            county=data.county,
        )
        return UserOut.of(user)

    @get("/")
    async def list_users(
        self,
        users: NamedDependency[UserService],
        actor: Actor,
        paging: PageParams,
        role: Annotated[str | None, Parameter(description="admin, secretary, trainee, township or county")] = None,
    ) -> Page[UserOut]:
        """Users the caller may see: all (admin), their village's (secretary), themselves (anyone else)."""
        rows, total = await users.list_for(actor, paging, role=role)
        return Page([UserOut.of(u) for u in rows], total, paging.limit, paging.offset)

    @get("/{user_id:int}")
    async def get_user(self, user_id: IdPath, users: NamedDependency[UserService], actor: Actor) -> UserOut:
        return UserOut.of(await users.get_for(actor, user_id))

    @patch("/{user_id:int}")
    async def change_user(
        self, user_id: IdPath, data: JSONBody[UserPatch], users: NamedDependency[UserService], actor: Actor
    ) -> UserOut:
        """Switch an account off or on, move it to another role, village or area (admin), or correct its name
        and phone. Switching off or moving ends every session and token of the account at once."""
        changes = UserChanges(
            role=data.role,
            village_id=data.village_id,
            township=data.township,
            county=data.county,
            active=data.active,
            display_name=data.display_name,
            phone=data.phone,
        )
        return UserOut.of(await users.change_user(actor, user_id, changes))

    @post("/{user_id:int}/password", status_code=200)
    async def reset_password(
        self,
        user_id: IdPath,
        data: JSONBody[PasswordReset],
        users: NamedDependency[UserService],
        actor: Actor,
        hasher: Hasher,
    ) -> UserOut:
        """Set a new password for someone who forgot theirs (admin: anyone; secretary: their trainees); their
        sessions and tokens end, and their failed-login counts are cleared."""
        return UserOut.of(await users.set_password(actor, hasher, user_id, data.password))
