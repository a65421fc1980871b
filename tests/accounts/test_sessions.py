"""Web sessions: new id at login, cookie flags, CSRF on every form post, logout."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from shop.app import create_app
from tests.conftest import PASSWORD, World
from tests.forms import form_token

pytestmark = pytest.mark.anyio


async def _login(client, username: str = "secretary_a", password: str = PASSWORD):
    token = await form_token(client, "/login")
    return await client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": token}, follow_redirects=False
    )


async def test_anonymous_visitor_gets_no_session_cookie(client, world: World) -> None:
    response = await client.get("/login")
    assert "shop_session" not in response.headers.get("set-cookie", "")


async def test_login_issues_a_new_session_id_even_when_one_was_planted(client, world: World) -> None:
    client.cookies.set("shop_session", "planted-by-an-attacker", domain="testserver.local")
    response = await _login(client)
    assert response.status_code == 303
    issued = client.cookies.get("shop_session")
    assert issued
    assert issued != "planted-by-an-attacker"
    first = issued
    # A second login on the same browser gets yet another id.
    await client.post("/logout", data={"_csrf_token": await form_token(client, "/account")})
    await _login(client)
    assert client.cookies.get("shop_session") not in (None, first)


async def test_session_cookie_is_httponly_and_samesite_lax(client, world: World) -> None:
    response = await _login(client)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("shop_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Secure" not in cookie


async def test_session_cookie_is_secure_when_configured(settings, world: World) -> None:
    from dataclasses import replace

    app = create_app(replace(settings, cookie_secure=True))
    async with AsyncTestClient(app=app, base_url="https://testserver.local") as client:
        response = await _login(client)
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("shop_session="))
        assert "Secure" in cookie


async def test_form_post_without_csrf_token_is_refused(client, world: World) -> None:
    await client.get("/login")  # gets the CSRF cookie, but the form field is missing below
    response = await client.post("/login", data={"username": "secretary_a", "password": PASSWORD})
    assert response.status_code == 403
    assert "shop_session" not in response.headers.get("set-cookie", "")


async def test_logged_in_form_post_without_csrf_token_is_refused(client, world: World) -> None:
    await _login(client)
    response = await client.post("/households/new", data={"code": "CJD-050", "name": "x", "phone": "13900000000"})
    assert response.status_code == 403


async def test_logout_ends_the_session(client, world: World) -> None:
    await _login(client)
    assert (await client.get("/households", follow_redirects=False)).status_code == 200
    token = await form_token(client, "/account")
    response = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    after = await client.get("/households", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


async def test_wrong_password_page_keeps_the_username_and_says_why(client, world: World) -> None:
    token = await form_token(client, "/login")
    response = await client.post(
        "/login", data={"username": "secretary_a", "password": "nope-nope", "_csrf_token": token}
    )
    assert response.status_code == 401
    assert 'value="secretary_a"' in response.text
    assert "用户名或密码不对" in response.text


async def test_household_logs_in_and_lands_on_its_home(client, world: World) -> None:
    token = await form_token(client, "/household/login")
    response = await client.post(
        "/household/login",
        data={"code": "cjd-001", "pin": world.pins["a1"], "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/household"
    home = await client.get("/household")
    assert home.status_code == 200
    assert "户主a1" in home.text
    assert "成员a1" in home.text
    assert "还没有销售记录" in home.text


async def test_household_cannot_open_staff_pages(client, world: World) -> None:
    token = await form_token(client, "/household/login")
    await client.post("/household/login", data={"code": "CJD-001", "pin": world.pins["a1"], "_csrf_token": token})
    assert (await client.get("/households")).status_code == 403


async def test_next_parameter_only_follows_local_paths(client, world: World) -> None:
    token = await form_token(client, "/login")
    response = await client.post(
        "/login",
        data={"username": "secretary_a", "password": PASSWORD, "_csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/village"


async def test_a_page_view_reads_session_and_signed_in_user_in_one_transaction(client, app, world: World, db) -> None:
    """The session row and who it signs in are read together; the page's own work is the second
    transaction. A user deactivated meanwhile is signed out on the next page, not later."""
    from sqlalchemy import event, update

    from shop.accounts.models import User

    assert (await _login(client)).status_code == 303
    engine = app.state.alchemy_config.get_engine().sync_engine
    begun: list[object] = []

    def count(conn) -> None:
        begun.append(conn)

    event.listen(engine, "begin", count)
    try:
        page = await client.get("/village")
    finally:
        event.remove(engine, "begin", count)
    assert page.status_code == 200
    assert len(begun) == 2

    async with db.write() as session:
        await session.execute(update(User).where(User.id == world.users["secretary_a"]).values(active=False))
    again = await client.get("/village", follow_redirects=False)
    assert again.status_code in (302, 303, 401)
