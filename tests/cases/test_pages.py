"""The cases pages: a villager raises a question from their home (with a photo only those who reach the
case can open), a mistake keeps what was typed, the handler answers and corrects on the page, the township
and county homes and the public board count it, and the admin creates officers."""

from __future__ import annotations

import io
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select

from shop.cases.models import Case, CasePhoto
from tests.cases.conftest import CaseWorld
from tests.conftest import PASSWORD, Db
from tests.forms import csrf_token, form_token

pytestmark = pytest.mark.anyio

PHONE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


async def _villager(client: AsyncTestClient[Litestar], code: str, pin: str) -> None:
    token = await form_token(client, "/household/login")
    response = await client.post(
        "/household/login", data={"code": code, "pin": pin, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


async def _staff(client: AsyncTestClient[Litestar], username: str) -> None:
    await client.post("/logout", data={"_csrf_token": await form_token(client, "/login")})
    token = await form_token(client, "/login")
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_a_villager_raises_from_the_home_page_with_a_photo_and_follows_it(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db
) -> None:
    await _villager(client, "CJD-001", cw.world.pins["a1"])
    home = await client.get("/household")
    assert f"/household/cases/new?entry={cw.entries['a1']}" in home.text
    assert f"/household/cases/new?contribution={cw.contributions['a1']}" in home.text
    form = await client.get(f"/household/cases/new?entry={cw.entries['a1']}")
    assert "¥58.89" in form.text  # the snapshot of what the books say
    token = csrf_token(form.text)
    blank = await client.post(
        "/household/cases/new",
        data={
            "_csrf_token": token,
            "topic": "price",
            "claimed": "¥45",
            "text": "",
            "ledger_entry_id": str(cw.entries["a1"]),
        },
        files={"photos": ("slip.jpg", _jpeg(), "image/jpeg")},
    )
    assert blank.status_code == 400
    assert 'value="¥45"' in blank.text  # what was typed stays
    sent = await client.post(
        "/household/cases/new",
        data={
            "_csrf_token": token,
            "topic": "price",
            "claimed": "¥45",
            "text": "直播间是45元",
            "ledger_entry_id": str(cw.entries["a1"]),
        },
        files={"photos": ("slip.jpg", _jpeg(), "image/jpeg")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = await client.get(sent.headers["location"])
    assert "已提交" in page.text
    assert "直播间是45元" in page.text
    photo = await db.scalar(select(CasePhoto))
    mine = await client.get(f"/cases/photos/{photo.id}")
    assert mine.status_code == 200
    assert mine.headers["content-type"] == "image/jpeg"
    home = await client.get("/household")
    assert "我的诉求 #" in home.text  # the sale now links to its open case instead of a new question

    await _villager(client, "CJD-002", cw.world.pins["a2"])
    assert (await client.get(f"/cases/photos/{photo.id}")).status_code == 404
    assert (await client.get(sent.headers["location"])).status_code == 404
    await _staff(client, "secretary_b")
    assert (await client.get(f"/cases/photos/{photo.id}")).status_code == 404
    await _staff(client, "secretary_a")
    assert (await client.get(f"/cases/photos/{photo.id}")).status_code == 200


async def test_the_handler_corrects_a_weigh_in_and_resolves_on_the_page(
    client: AsyncTestClient[Litestar], cw: CaseWorld, db: Db
) -> None:
    raised = await client.post(
        "/api/v1/cases",
        json={"topic": "weight", "text": "我交了3袋", "contribution_id": cw.contributions["a2"], "claimed": "3"},
        headers=cw.headers["household_a2"],
    )
    case_id = raised.json()["id"]
    await _staff(client, "secretary_a")
    listed = await client.get("/cases")
    assert f"/cases/{case_id}" in listed.text
    page = await client.get(f"/cases/{case_id}")
    assert "更正重量" in page.text
    assert not PHONE_LIKE.search(page.text)
    token = csrf_token(page.text)
    refused = await client.post(
        f"/cases/{case_id}/resolve", data={"_csrf_token": token, "outcome": "corrected", "resolution": "改了"}
    )
    assert refused.status_code == 409
    corrected = await client.post(
        f"/cases/{case_id}/correct",
        data={
            "_csrf_token": token,
            "kind": "weights",
            "lot_id": str(cw.lot_id),
            f"qty_{cw.households['a1']}": "3",
            f"qty_{cw.households['a2']}": "3",
        },
        follow_redirects=False,
    )
    assert corrected.status_code == 303, corrected.text
    resolved = await client.post(
        f"/cases/{case_id}/resolve",
        data={"_csrf_token": token, "outcome": "corrected", "resolution": "按3袋重新分账"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    case = await db.scalar(select(Case).where(Case.id == case_id))
    assert (case.status, case.outcome) == ("answered", "corrected")
    audit = await client.get("/audit")
    assert f"为诉求 #{case_id} 重新分账" in audit.text  # the ledger lines of the correction
    assert f"诉求 #{case_id}：更正了账目" in audit.text  # and the case's own steps
    await _villager(client, "CJD-001", cw.world.pins["a1"])
    home = await client.get("/household")
    assert "重新分账：这批货的过秤记录更正了" in home.text  # the neighbour's line says why


async def test_officer_homes_and_the_public_board_count_cases_without_their_words(
    client: AsyncTestClient[Litestar], cw: CaseWorld
) -> None:
    raised = await client.post(
        "/api/v1/cases",
        json={"topic": "other", "text": "秘密的内容不该公开"},
        headers=cw.headers["household_a1"],
    )
    assert raised.status_code == 201
    board = await client.get(f"/v/{cw.villages['a']}/transparency")
    assert "村民诉求办理" in board.text
    assert "秘密的内容" not in board.text
    api = (await client.get(f"/api/v1/villages/{cw.villages['a']}/transparency")).json()
    (month,) = api["cases"]
    assert (month["received"], month["rated"], month["resolve_rate"]) == (1, 0, None)
    await _staff(client, "township_a")
    home = await client.get("/township")
    assert home.status_code == 200
    assert "从家店村" in home.text
    assert "孙家湾村" not in home.text  # another township's village
    assert (await client.get("/county", follow_redirects=False)).status_code == 303
    assert (await client.get("/orders")).status_code == 403
    assert (await client.get("/village")).status_code == 403
    await _staff(client, "county")
    county = await client.get("/county")
    assert "六家子镇" in county.text
    assert "北四家子村" not in county.text  # another county


async def test_the_admin_creates_a_township_officer_who_lands_on_the_township_home(
    client: AsyncTestClient[Litestar], cw: CaseWorld
) -> None:
    await _staff(client, "admin")
    token = await form_token(client, "/admin/officers")
    typo = await client.post(
        "/admin/officers",
        data={
            "_csrf_token": token,
            "role": "township",
            "username": "li-zhan",
            "password": PASSWORD,
            "township": "东大道",
            "county": "朝阳县",
        },
    )
    assert typo.status_code == 400
    assert 'value="东大道"' in typo.text
    made = await client.post(
        "/admin/officers",
        data={
            "_csrf_token": token,
            "role": "township",
            "username": "li-zhan",
            "password": PASSWORD,
            "township": "东大道乡",
            "county": "朝阳县",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    await _staff(client, "li-zhan")
    front = await client.get("/", follow_redirects=False)
    assert front.headers["location"] == "/township"
