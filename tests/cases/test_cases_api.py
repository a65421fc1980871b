"""The cases API on both databases: raise from an earning, answer on the clock, resolve, rate, reopen one
level up, correct the books, close at the county; and who reaches which case."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from shop.cases.models import Case, CaseEvent
from shop.ledger.models import HouseholdBalance
from shop.notifications.models import Notification
from tests.cases.conftest import CaseWorld
from tests.conftest import Db

pytestmark = pytest.mark.anyio


async def _raise(client: AsyncTestClient[Litestar], cw: CaseWorld, who: str = "a1", **body: object) -> dict:
    payload = {"topic": "weight", "text": "我交的是30斤，收据上写的少了", **body}
    response = await client.post("/api/v1/cases", json=payload, headers=cw.headers[f"household_{who}"])
    assert response.status_code == 201, response.text
    return response.json()


async def _post(client: AsyncTestClient[Litestar], cw: CaseWorld, who: str, path: str, body: dict) -> dict:
    response = await client.post(f"/api/v1/cases/{path}", json=body, headers=cw.headers[who])
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_a_villager_raises_a_case_about_their_own_sale_with_a_snapshot(
    client: AsyncTestClient[Litestar], cw: CaseWorld
) -> None:
    case = await _raise(
        client, cw, topic="price", text="直播间卖的是45元一袋", ledger_entry_id=cw.entries["a1"], claimed="¥45"
    )
    assert (case["status"], case["level"], case["topic"]) == ("open", "village", "price")
    assert case["recorded"]["amount_fen"] == 5889  # 3 of the lot's 5 units: 9815 × 3/5
    assert case["recorded"]["unit_price_fen"] == 3990
    assert case["claimed"] == "¥45"
    assert case["replies"] == []
    assert case["events"] is None  # a villager sees the replies, not the handlers' log


async def test_another_households_earning_is_not_found_and_one_open_case_per_earning(
    client: AsyncTestClient[Litestar], cw: CaseWorld
) -> None:
    theirs = await client.post(
        "/api/v1/cases",
        json={"topic": "price", "text": "?", "ledger_entry_id": cw.entries["a2"]},
        headers=cw.headers["household_a1"],
    )
    assert theirs.status_code == 404
    first = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    again = await client.post(
        "/api/v1/cases",
        json={"topic": "weight", "text": "再问一次", "contribution_id": cw.contributions["a1"]},
        headers=cw.headers["household_a1"],
    )
    assert again.status_code == 409
    assert again.json()["case_id"] == first["id"] or str(first["id"]) in again.json()["detail"]
    blank = await _raise(client, cw, topic="other", text="合作社什么时候分红？")
    assert blank["recorded"] == {}
    staff = await client.post("/api/v1/cases", json={"topic": "other", "text": "x"}, headers=cw.headers["secretary_a"])
    assert staff.status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("household_a1", 200),
        ("household_a2", 404),
        ("household_b1", 404),
        ("secretary_a", 200),
        ("secretary_b", 404),
        ("secretary_c", 404),
        ("trainee_a", 404),
        ("township_a", 200),
        ("township_c", 404),
        ("county", 200),
        ("county_d", 404),
        ("admin", 200),
    ],
)
async def test_each_role_reaches_only_its_own_cases(
    client: AsyncTestClient[Litestar], cw: CaseWorld, who: str, status: int
) -> None:
    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    response = await client.get(f"/api/v1/cases/{case['id']}", headers=cw.headers[who])
    assert response.status_code == status
    listed = await client.get("/api/v1/cases", headers=cw.headers[who])
    if who == "trainee_a":
        assert listed.status_code == 403
    else:
        assert listed.status_code == 200
        assert (case["id"] in [c["id"] for c in listed.json()["items"]]) == (status == 200)


async def test_answer_resolve_and_a_satisfied_rating_close_the_case(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db
) -> None:
    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    new = await db.scalars(select(Notification).where(Notification.kind == "case_new"))
    assert [n.recipient_id for n in new] == [cw.users["secretary_a"]]
    early = await client.post(
        f"/api/v1/cases/{case['id']}/rating",
        json={"solved": True, "satisfaction": "satisfied"},
        headers=cw.headers["household_a1"],
    )
    assert early.status_code == 409
    answered = await _post(client, cw, "secretary_a", f"{case['id']}/replies", {"text": "收到，我们核对一下磅单"})
    assert answered["responded_at"] is not None
    assert answered["replies"][0]["by_role"] == "secretary"
    updates = await db.scalars(
        select(Notification).where(Notification.kind == "case_update", Notification.recipient_kind == "household")
    )
    assert [n.recipient_id for n in updates] == [cw.households["a1"]]
    resolved = await _post(
        client, cw, "secretary_a", f"{case['id']}/resolve", {"outcome": "upheld", "text": "磅单是25斤"}
    )
    assert resolved["status"] == "answered"
    not_theirs = await client.post(
        f"/api/v1/cases/{case['id']}/rating",
        json={"solved": True, "satisfaction": "fair"},
        headers=cw.headers["secretary_a"],
    )
    assert not_theirs.status_code == 403
    rated = await _post(client, cw, "household_a1", f"{case['id']}/rating", {"solved": True, "satisfaction": "fair"})
    assert rated["status"] == "closed"
    assert rated["rating"]["satisfaction"] == "fair"
    kinds = [
        e.kind
        for e in await db.scalars(select(CaseEvent).where(CaseEvent.case_id == case["id"]).order_by(CaseEvent.id))
    ]
    assert kinds == ["raised", "reply", "resolved", "rated", "closed"]


async def test_a_bad_rating_climbs_one_level_at_a_time_and_the_county_closes_with_a_reason(
    client: AsyncTestClient[Litestar], cw: CaseWorld
) -> None:
    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    cid = case["id"]
    await _post(client, cw, "secretary_a", f"{cid}/resolve", {"outcome": "upheld", "text": "磅单没错"})
    reopened = await _post(
        client, cw, "household_a1", f"{cid}/rating", {"solved": False, "satisfaction": "dissatisfied"}
    )
    assert (reopened["status"], reopened["level"], reopened["floor_level"]) == ("open", "township", "township")
    village = await client.post(
        f"/api/v1/cases/{cid}/resolve",
        json={"outcome": "upheld", "text": "还是没错"},
        headers=cw.headers["secretary_a"],
    )
    assert village.status_code == 403
    replied = await client.post(
        f"/api/v1/cases/{cid}/replies", json={"text": "村里在等乡里"}, headers=cw.headers["secretary_a"]
    )
    assert replied.status_code == 201  # the village stays responsible and may still answer
    await _post(client, cw, "township_a", f"{cid}/resolve", {"outcome": "upheld", "text": "乡农经站复核：没错"})
    county = await _post(client, cw, "household_a1", f"{cid}/rating", {"solved": True, "satisfaction": "dissatisfied"})
    assert county["level"] == "county"
    too_early = await client.post(f"/api/v1/cases/{cid}/close", json={"reason": "短"}, headers=cw.headers["county"])
    assert too_early.status_code == 400
    await _post(client, cw, "county", f"{cid}/resolve", {"outcome": "upheld", "text": "县里复核"})
    stays = await _post(client, cw, "household_a1", f"{cid}/rating", {"solved": False, "satisfaction": "dissatisfied"})
    assert (stays["status"], stays["level"]) == ("open", "county")
    township = await client.post(
        f"/api/v1/cases/{cid}/close", json={"reason": "已三次复核，磅单和监控一致"}, headers=cw.headers["township_a"]
    )
    assert township.status_code == 403
    closed = await _post(client, cw, "county", f"{cid}/close", {"reason": "已三次复核，磅单和监控一致"})
    assert closed["status"] == "closed"
    assert closed["close_reason"].startswith("已三次复核")
    again = await client.post(
        f"/api/v1/cases/{cid}/rating",
        json={"solved": False, "satisfaction": "dissatisfied"},
        headers=cw.headers["household_a1"],
    )
    assert again.status_code == 409


async def _balances(db: Db, cw: CaseWorld) -> dict[str, int]:
    rows = await db.rows(select(HouseholdBalance.household_id, HouseholdBalance.balance_fen))
    by_id = dict(rows)
    return {key: by_id.get(cw.households[key], 0) for key in ("a1", "a2")}


async def test_a_corrected_weigh_in_resplits_the_credited_sale_and_both_cases_are_answered_together(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db, app: Litestar
) -> None:
    from shop.db import read_session
    from shop.ledger.checks import check_balances

    mine = await _raise(client, cw, "a2", contribution_id=cw.contributions["a2"], claimed="3")
    theirs = await _raise(client, cw, "a1", contribution_id=cw.contributions["a1"], text="我的也不对")
    refused = await client.post(
        f"/api/v1/cases/{mine['id']}/resolve",
        json={"outcome": "corrected", "text": "改了"},
        headers=cw.headers["secretary_a"],
    )
    assert refused.status_code == 409
    assert await _balances(db, cw) == {"a1": 5889, "a2": 3926}
    correction = await _post(
        client,
        cw,
        "secretary_a",
        f"{mine['id']}/corrections",
        {
            "kind": "weights",
            "contributions": [
                {"household_id": cw.households["a1"], "quantity": 3},
                {"household_id": cw.households["a2"], "quantity": 3},
            ],
        },
    )
    assert len(correction["transaction_ids"]) == 2  # one reversal and one fresh credit for the one sale
    # 9815 split 1:1 → 4907.5: the fen goes to the lower household id (a1)
    assert await _balances(db, cw) == {"a1": 4908, "a2": 4907}
    async with read_session(app.state.alchemy_config) as session:
        assert await check_balances(session) == []
    await _post(client, cw, "secretary_a", f"{mine['id']}/resolve", {"outcome": "corrected", "text": "按3斤重新分账"})
    for case in (mine, theirs):
        got = await client.get(f"/api/v1/cases/{case['id']}", headers=cw.headers["secretary_a"])
        assert (got.json()["status"], got.json()["outcome"]) == ("answered", "corrected")
    moved = await db.scalars(select(Notification).where(Notification.kind == "case_correction"))
    assert [n.recipient_id for n in moved] == [cw.households["a1"]]


async def test_a_corrected_price_resplits_the_sale_fees_included(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db, app: Litestar
) -> None:
    from shop.db import read_session
    from shop.ledger.checks import check_balances

    case = await _raise(client, cw, topic="price", text="应该是45元", ledger_entry_id=cw.entries["a1"])
    await _post(client, cw, "township_a", f"{case['id']}/corrections", {"kind": "price", "unit_price_fen": 4500})
    # gross 13500: platform 675, operator 405, collective 1350 → households 11070, split 3:2 → 6642 / 4428
    assert await _balances(db, cw) == {"a1": 6642, "a2": 4428}
    async with read_session(app.state.alchemy_config) as session:
        assert await check_balances(session) == []
    wrong_kind = await client.post(
        f"/api/v1/cases/{case['id']}/corrections", json={"kind": "payout"}, headers=cw.headers["secretary_a"]
    )
    assert wrong_kind.status_code == 400


async def test_a_payout_that_never_arrived_is_reversed_and_paid_again(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db, app: Litestar
) -> None:
    from shop.db import read_session
    from shop.ledger.checks import check_balances

    paid = await client.post(
        "/api/v1/payouts",
        json={"household_id": cw.households["a1"], "amount_fen": 5000, "method": "wechat"},
        headers=cw.headers["secretary_a"],
    )
    assert paid.status_code == 201, paid.text
    case = await _raise(client, cw, topic="payout", text="没收到转账", payout_id=paid.json()["id"])
    assert (
        timedelta(0)
        < (datetime.fromisoformat(case["respond_by"]) - datetime.fromisoformat(case["opened_at"]))
        <= timedelta(days=4)
    )  # 1 working day for a payout
    officer = await client.post(
        f"/api/v1/cases/{case['id']}/corrections",
        json={"kind": "payout", "repay_method": "cash"},
        headers=cw.headers["township_a"],
    )
    assert officer.status_code == 403  # only the village hands out money
    correction = await _post(
        client,
        cw,
        "secretary_a",
        f"{case['id']}/corrections",
        {"kind": "payout", "repay_method": "cash", "reference": "当面给"},
    )
    assert len(correction["transaction_ids"]) == 2
    assert (await _balances(db, cw))["a1"] == 889  # 5889 − 5000 paid again in cash
    twice = await client.post(
        f"/api/v1/cases/{case['id']}/corrections", json={"kind": "payout"}, headers=cw.headers["secretary_a"]
    )
    assert twice.status_code == 409
    async with read_session(app.state.alchemy_config) as session:
        assert await check_balances(session) == []


async def test_a_missed_response_deadline_lifts_the_case_and_tells_the_township_and_the_village(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db, app: Litestar
) -> None:
    from shop.cases.services import escalate_overdue
    from shop.timeutil import as_utc

    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    respond_by = as_utc(datetime.fromisoformat(case["respond_by"]))
    async with db.write() as session:
        assert await escalate_overdue(session, respond_by - timedelta(minutes=1)) == 0
    async with db.write() as session:
        assert await escalate_overdue(session, respond_by + timedelta(minutes=1)) == 1
    got = (await client.get(f"/api/v1/cases/{case['id']}", headers=cw.headers["township_a"])).json()
    assert (got["level"], got["floor_level"]) == ("township", "village")
    assert got["events"][-1]["kind"] == "escalated"
    assert got["events"][-1]["after"]["missed"] == "response"
    told = await db.scalars(select(Notification.recipient_id).where(Notification.kind == "case_update"))
    assert sorted(told) == sorted([cw.users["township_a"], cw.users["secretary_a"]])
    # the village stays responsible: it may still resolve
    await _post(client, cw, "secretary_a", f"{case['id']}/resolve", {"outcome": "upheld", "text": "迟到的答复"})
    stored = await db.scalar(select(Case).where(Case.id == case["id"]))
    assert stored.responded_in_time is False


async def test_asking_the_villager_pauses_the_clock_and_their_answer_moves_the_deadline(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db
) -> None:
    from shop.accounts.services import AuthService
    from shop.cases.services import add_reply, escalate_overdue
    from shop.timeutil import as_utc

    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    asked = await _post(
        client, cw, "secretary_a", f"{case['id']}/replies", {"text": "请拍一下您的磅单", "needs_info": True}
    )
    assert asked["paused"] is True
    resolve_by = as_utc(datetime.fromisoformat(asked["resolve_by"]))
    async with db.write() as session:
        assert await escalate_overdue(session, resolve_by + timedelta(days=1)) == 0  # paused: it waits
    async with db.write() as session:
        principal = await AuthService(session, None).load_principal("household", cw.households["a1"])  # type: ignore[arg-type]
        await add_reply(session, principal, case["id"], "磅单拍好了", now=resolve_by + timedelta(days=10))
    got = (await client.get(f"/api/v1/cases/{case['id']}", headers=cw.headers["household_a1"])).json()
    assert got["paused"] is False
    assert as_utc(datetime.fromisoformat(got["resolve_by"])) > resolve_by + timedelta(days=10)
    assert [r["kind"] for r in got["replies"]] == ["asked", "info"]


async def test_a_malformed_call_names_the_field(client: AsyncTestClient[Litestar], cw: CaseWorld) -> None:
    bad = await client.post("/api/v1/cases", json={"topic": "weather", "text": "x"}, headers=cw.headers["household_a1"])
    assert bad.status_code == 400
    assert "topic" in bad.text
    missing = await client.get("/api/v1/cases/99999999", headers=cw.headers["household_a1"])
    assert missing.status_code == 404


async def test_the_handler_is_reminded_the_working_morning_before_the_deadline(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db
) -> None:
    from shop.notifications.models import Reminder
    from shop.timeutil import to_local
    from shop.workdays import deadline_day, is_working_day

    case = await _raise(client, cw, contribution_id=cw.contributions["a1"])
    (reminder,) = await db.scalars(select(Reminder).where(Reminder.kind == "case_deadline"))
    assert reminder.recipient_id == cw.users["secretary_a"]
    due = to_local(reminder.due_at)
    assert due.hour == 8
    assert is_working_day(due.date())
    assert due.date() < deadline_day(datetime.fromisoformat(case["respond_by"]))
    await _post(client, cw, "secretary_a", f"{case['id']}/resolve", {"outcome": "upheld", "text": "没问题"})
    (withdrawn,) = await db.scalars(select(Reminder).where(Reminder.kind == "case_deadline"))
    assert withdrawn.status == "withdrawn"  # answered: nothing left to remind
