"""The township's money board reads the village-month rows, and shows what the entries and balances say: the
same figures as summing every household balance and every collective entry of the village (how the board
was computed before), after a sale, a payout and a refund past the payout."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from shop.cases.counts import MoneyBoard, money_boards
from shop.db import read_session
from shop.ledger.models import HouseholdBalance, LedgerEntry
from shop.money import format_fen
from tests.cases.conftest import CaseWorld
from tests.conftest import PASSWORD
from tests.forms import form_token

pytestmark = pytest.mark.anyio


async def _summed_from_every_row(session, village_ids: list[int]) -> dict[int, MoneyBoard]:
    """The board as it was computed before the month rows: every balance row and every collective entry."""
    boards: dict[int, MoneyBoard] = {}
    balances = await session.execute(
        select(
            HouseholdBalance.village_id,
            func.sum(HouseholdBalance.credited_fen),
            func.sum(HouseholdBalance.paid_out_fen),
            func.sum(HouseholdBalance.balance_fen),
        )
        .where(HouseholdBalance.village_id.in_(village_ids))
        .group_by(HouseholdBalance.village_id)
    )
    for village_id, credited, paid, owed in balances.all():
        boards[village_id] = MoneyBoard(int(credited), int(paid), int(owed))
    collective = await session.execute(
        select(LedgerEntry.village_id, func.sum(LedgerEntry.amount_fen))
        .where(LedgerEntry.village_id.in_(village_ids), LedgerEntry.account_kind == "collective")
        .group_by(LedgerEntry.village_id)
    )
    for village_id, amount in collective.all():
        boards.setdefault(village_id, MoneyBoard()).collective_fen = int(amount)
    return boards


async def test_the_township_board_shows_what_every_balance_and_entry_add_up_to(
    client: AsyncTestClient[Litestar], cw: CaseWorld, app: Litestar
) -> None:
    paid = await client.post(
        "/api/v1/payouts",
        json={"household_id": cw.households["a1"], "amount_fen": 5000, "method": "wechat"},
        headers=cw.headers["secretary_a"],
    )
    assert paid.status_code == 201, paid.text
    refunded = await client.post(
        f"/api/v1/orders/{cw.order_id}/status", json={"status": "refunded"}, headers=cw.headers["secretary_a"]
    )
    assert refunded.status_code == 200, refunded.text
    ids = [cw.villages[k] for k in ("a", "b", "c")]
    async with read_session(app.state.alchemy_config) as session:
        before = await _summed_from_every_row(session, ids)
        now = await money_boards(session, ids)
    assert now == before
    village_a = now[cw.villages["a"]]
    # a1 was paid ¥50.00 of its ¥58.89, then the whole sale was refunded: it owes what it could not give back
    assert (village_a.paid_out_fen, village_a.collective_fen, village_a.owed_to_households_fen) == (5000, 0, 0)
    assert village_a.credited_fen == 5000

    await client.post("/logout", data={"_csrf_token": await form_token(client, "/login")})
    token = await form_token(client, "/login")
    login = await client.post(
        "/login",
        data={"username": "township_a", "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert login.status_code == 303
    page = (await client.get("/township")).text
    row = re.search(r"从家店村</a></strong></td>(.*?)</tr>", page, re.S)
    assert row is not None
    shown = re.findall(r"-?¥[\d,]+\.\d\d", row.group(1))
    assert shown == [format_fen(v) for v in (5000, 5000, 0, 0)]
