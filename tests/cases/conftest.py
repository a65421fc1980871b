"""A world for cases: the two villages of 东大道乡, a village of another township and one of another
county, a township officer for each township, a county supervisor for each county, and a credited sale of
millet from a lot that households a1 (2 units) and a2 (1 unit) brought in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import PASSWORD, World


@dataclass
class CaseWorld:
    world: World
    headers: dict[str, dict[str, str]]
    villages: dict[str, int]
    households: dict[str, int]
    users: dict[str, int]
    product_id: int
    lot_id: int
    order_id: int
    entries: dict[str, int]  # household key → its ledger entry for the sale
    contributions: dict[str, int]  # household key → its contribution to the lot


# Monday 23 November 2026, 10:00 Beijing time: an ordinary working week.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def build_case_world(app: Litestar, world: World) -> dict[str, Any]:
    from shop.accounts.principal import Principal
    from shop.accounts.services import AuthService, UserService
    from shop.db import unit_of_work
    from shop.villages.services import HouseholdService, VillageService

    hasher = app.state.hasher
    system = Principal.system()
    villages = dict(world.villages)
    households = dict(world.households)
    users = dict(world.users)
    async with unit_of_work(app.state.alchemy_config) as session:
        for key, name, township, county, prefix in (
            ("c", "孙家湾村", "六家子镇", "朝阳县", "SJW"),
            ("d", "北四家子村", "北四家子乡", "建平县", "BSJ"),
        ):
            village = await VillageService(session=session).create_village(
                system, name=name, township=township, county=county, code_prefix=prefix
            )
            villages[key] = village.id
            household = await HouseholdService(session=session).register(
                system,
                hasher,
                code=f"{prefix}-001",
                head_name=f"户主{key}1",
                phone="13904219001",
                pin="155555",
                village_id=village.id,
            )
            households[f"{key}1"] = household.id
            secretary = await UserService(session=session).create_user(
                system, hasher, username=f"secretary_{key}", password=PASSWORD, role="secretary", village_id=village.id
            )
            users[f"secretary_{key}"] = secretary.id
        for username, role, township, county in (
            ("township_a", "township", "东大道乡", "朝阳县"),
            ("township_c", "township", "六家子镇", "朝阳县"),
            ("county", "county", "", "朝阳县"),
            ("county_d", "county", "", "建平县"),
        ):
            user = await UserService(session=session).create_user(
                system, hasher, username=username, password=PASSWORD, role=role, township=township, county=county
            )
            users[username] = user.id
    headers: dict[str, dict[str, str]] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        auth = AuthService(session, hasher)
        for name, user_id in users.items():
            principal = await auth.load_principal("user", user_id)
            assert principal is not None
            token, _ = await auth.issue_token(principal, 3600)
            headers[name] = {"Authorization": f"Bearer {token}"}
        for key, household_id in households.items():
            principal = await auth.load_principal("household", household_id)
            assert principal is not None
            token, _ = await auth.issue_token(principal, 3600)
            headers[f"household_{key}"] = {"Authorization": f"Bearer {token}"}
    return {"villages": villages, "households": households, "users": users, "headers": headers}


async def sell_millet(client: AsyncTestClient[Litestar], headers: dict[str, str], households: dict[str, int]) -> dict:
    """3 bags of millet at ¥39.90 on Douyin (DESIGN.md's worked example): a1 gets ¥65.43, a2 ¥32.72."""
    village = (await client.get("/api/v1/villages", headers=headers)).json()["items"][0]["id"]
    await client.put(
        f"/api/v1/villages/{village}/fee-policy",
        json={"platform_bp": {"douyin": 500}, "operator_bp": 300, "collective_bp": 1000},
        headers=headers,
    )
    product = (
        await client.post(
            "/api/v1/products",
            json={"name": "朝阳小米", "category": "grain", "unit": "袋", "price_fen": 3990},
            headers=headers,
        )
    ).json()
    lot = (
        await client.post(
            f"/api/v1/products/{product['id']}/lots",
            json={
                "quantity": 5,
                "contributions": [
                    {"household_id": households["a1"], "quantity": 3},
                    {"household_id": households["a2"], "quantity": 2},
                ],
            },
            headers=headers,
        )
    ).json()
    order = (
        await client.post(
            "/api/v1/orders",
            json={"items": [{"product_id": product["id"], "quantity": 3}], "source": "douyin", "buyer_name": "张三"},
            headers=headers,
        )
    ).json()
    for status in ("paid", "shipped", "completed"):
        response = await client.post(f"/api/v1/orders/{order['id']}/status", json={"status": status}, headers=headers)
        assert response.status_code in (200, 201), response.text
    return {"product": product, "lot": lot, "order": order}


@pytest.fixture
async def cw(app: Litestar, world: World, client: AsyncTestClient[Litestar]) -> CaseWorld:
    from sqlalchemy import select

    from shop.catalogue.models import Contribution
    from shop.db import read_session
    from shop.ledger.models import LedgerEntry

    built = await build_case_world(app, world)
    sale = await sell_millet(client, built["headers"]["secretary_a"], built["households"])
    entries: dict[str, int] = {}
    contributions: dict[str, int] = {}
    async with read_session(app.state.alchemy_config) as session:
        for key in ("a1", "a2"):
            household_id = built["households"][key]
            entries[key] = (
                await session.execute(
                    select(LedgerEntry.id).where(
                        LedgerEntry.household_id == household_id, LedgerEntry.account_kind == "household"
                    )
                )
            ).scalar_one()
            contributions[key] = (
                await session.execute(
                    select(Contribution.id).where(
                        Contribution.household_id == household_id, Contribution.lot_id == sale["lot"]["id"]
                    )
                )
            ).scalar_one()
    return CaseWorld(
        world=world,
        headers=built["headers"],
        villages=built["villages"],
        households=built["households"],
        users=built["users"],
        product_id=sale["product"]["id"],
        lot_id=sale["lot"]["id"],
        order_id=sale["order"]["id"],
        entries=entries,
        contributions=contributions,
    )
