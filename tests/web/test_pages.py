"""The page shell: Chinese first with an English switch, error pages in both languages, JSON on /api."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, World
from tests.forms import csrf_token

pytestmark = pytest.mark.anyio


async def login_page_client(client, username: str = "secretary_a") -> None:
    page = await client.get("/login")
    token = csrf_token(page.text)
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303


async def test_pages_are_chinese_by_default(client) -> None:
    page = await client.get("/")
    assert '<html lang="zh-CN">' in page.text
    assert "村播助农" in page.text
    assert page.headers["content-language"] == "zh-CN"


async def test_lang_switch_changes_the_language_and_is_remembered(client) -> None:
    english = await client.get("/?lang=en")
    assert '<html lang="en">' in english.text
    assert "I am a villager" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = await client.get("/login")
    assert "Staff login" in again.text
    back = await client.get("/login?lang=zh")
    assert "工作人员登录" in back.text


async def test_unknown_page_is_a_404_page_in_the_chosen_language(client) -> None:
    zh = await client.get("/no/such/page")
    assert zh.status_code == 404
    assert "页面不存在" in zh.text
    assert zh.headers["content-type"].startswith("text/html")
    en = await client.get("/no/such/page?lang=en")
    assert "Page not found" in en.text


async def test_api_errors_are_json_with_a_detail(client) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


async def test_staff_page_without_login_redirects_to_login(client) -> None:
    response = await client.get("/households", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/households"
    household = await client.get("/household", follow_redirects=False)
    assert household.headers["location"] == "/household/login?next=/household"


async def test_forbidden_page_is_403_in_both_languages(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    zh = await client.get("/admin/villages")
    assert zh.status_code == 403
    assert "无权" in zh.text
    en = await client.get("/admin/villages?lang=en")
    assert "Not allowed" in en.text


async def test_other_villages_household_page_is_404(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    assert (await client.get(f"/households/{world.households['b1']}")).status_code == 404
    assert (await client.get(f"/households/{world.households['b1']}/card")).status_code == 404
    assert (await client.get(f"/households/{world.households['a1']}")).status_code == 200


async def test_secretary_registers_a_household_and_a_mistake_keeps_what_was_typed(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    form = await client.get("/households/new")
    token = csrf_token(form.text)
    assert 'value="CJD-003"' in form.text  # the next free code is suggested
    bad = await client.post(
        "/households/new",
        data={
            "code": "CJD-003",
            "name": "钱多多",
            "phone": "13900000003",
            "pin": "12",
            "members": "钱小多\n钱二多",
            "_csrf_token": token,
        },
    )
    assert bad.status_code == 400
    assert "密码必须是6位数字" in bad.text
    assert 'value="钱多多"' in bad.text
    assert "钱小多" in bad.text
    good = await client.post(
        "/households/new",
        data={
            "code": "CJD-003",
            "name": "钱多多",
            "phone": "13900000003",
            "pin": "135790",
            "members": "钱小多",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    detail = await client.get(good.headers["location"])
    assert "钱多多" in detail.text
    assert "登记" in detail.text


async def test_household_list_masks_phones(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    page = await client.get("/households")
    assert "139****0001" in page.text
    assert "13904210001" not in page.text


async def test_login_card_has_a_qr_to_the_login_page_and_never_the_pin(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    card = await client.get(f"/households/{world.households['a1']}/card")
    assert card.status_code == 200
    assert "<svg" in card.text
    assert "CJD-001" in card.text
    assert world.pins["a1"] not in card.text
    assert "/household/login" in card.text


async def test_admin_creates_a_village_and_its_secretary(client, world: World) -> None:
    await login_page_client(client, "admin")
    page = await client.get("/admin/villages")
    token = csrf_token(page.text)
    created = await client.post(
        "/admin/villages",
        data={
            "name": "小平房村",
            "township": "东大道乡",
            "county": "朝阳县",
            "code_prefix": "xpf",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    village_page = await client.get(created.headers["location"])
    assert "小平房村" in village_page.text
    secretary = await client.post(
        created.headers["location"] + "/secretaries",
        data={"username": "xpf-shuji", "password": "long-enough-9", "display_name": "刘书记", "_csrf_token": token},
        follow_redirects=False,
    )
    assert secretary.status_code == 303
    assert "刘书记" in (await client.get(created.headers["location"])).text


async def test_pages_stay_under_60_kb(client, world: World) -> None:
    await login_page_client(client, "secretary_a")
    for path in ("/village", "/households", "/households/new", f"/households/{world.households['a1']}"):
        response = await client.get(path)
        assert response.status_code == 200
        assert len(response.content) < 60_000, path
