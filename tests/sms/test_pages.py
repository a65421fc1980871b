"""The SMS pages: the secretary's month, a test queued (not sent) from the page, the switches."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.accounts.models import User
from shop.sms.models import SmsMessage
from shop.villages.models import Household
from tests.conftest import World
from tests.web.test_pages import login_page_client

pytestmark = pytest.mark.anyio


def _csrf(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_the_secretary_queues_a_test_to_their_own_phone_and_nothing_is_sent_by_the_page(
    client, world: World, db
) -> None:
    await login_page_client(client)
    page = await client.get("/sms")
    assert page.status_code == 200
    assert "短信通知" in page.text
    assert "给我的手机发一条测试短信" in page.text
    assert len(page.content) < 60_000
    no_phone = await client.post("/sms/test", data={"_csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert no_phone.status_code == 400
    assert "请先在“我的账号”页填写您的手机号" in no_phone.text
    account = await client.get("/account")
    bad = await client.post(
        "/account/sms", data={"phone": "not a phone", "sms": "on", "_csrf_token": _csrf(account.text)}
    )
    assert bad.status_code == 400
    saved = await client.post(
        "/account/sms",
        data={"phone": "13904218888", "sms": "on", "_csrf_token": _csrf(account.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert await db.scalar(select(User.phone).where(User.id == world.users["secretary_a"])) == "13904218888"
    page = await client.get("/sms")
    assert "139****8888" in page.text
    sent = await client.post("/sms/test", data={"_csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert sent.status_code == 303
    [message] = await db.scalars(select(SmsMessage))
    assert (message.kind, message.recipient_id, message.status) == ("test", world.users["secretary_a"], "pending")
    assert message.village_id == world.villages["a"]
    page = await client.get("/sms")
    assert re.search(r"测试短信(<br><small[^<]*</small>)?</td><td>0</td><td>1</td>", page.text)


async def test_a_villager_switches_sms_off_and_the_secretary_sees_it_and_can_switch_it_back(
    client, world: World, db
) -> None:
    login = await client.get("/household/login")
    await client.post(
        "/household/login", data={"code": "CJD-001", "pin": world.pins["a1"], "_csrf_token": _csrf(login.text)}
    )
    home = await client.get("/household")
    assert "关闭短信通知" in home.text
    off = await client.post("/household/sms", data={"sms": "off", "_csrf_token": _csrf(home.text)})
    assert off.status_code == 200
    assert "开启短信通知" in off.text
    assert await db.scalar(select(Household.sms_opt_out).where(Household.id == world.households["a1"])) is True
    await client.post("/logout", data={"_csrf_token": _csrf(off.text)})
    await login_page_client(client)
    page = await client.get("/sms")
    assert "CJD-001" in page.text
    back_on = await client.post(
        f"/households/{world.households['a1']}/sms",
        data={"sms": "on", "back": "/sms", "_csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert back_on.headers["location"] == "/sms"
    assert await db.scalar(select(Household.sms_opt_out).where(Household.id == world.households["a1"])) is False
    other_village = await client.post(
        f"/households/{world.households['b1']}/sms", data={"sms": "off", "_csrf_token": _csrf(page.text)}
    )
    assert other_village.status_code == 404
