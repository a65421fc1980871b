"""Headers: every page of the demo village, as each role reaches it by following links, answers with the
security headers and meets its Content-Security-Policy (no inline script, no event-handler attribute, no
style attribute); HSTS only when the cookies are marked Secure."""

from __future__ import annotations

import dataclasses
import re
from collections import deque

import pytest
from litestar.testing import AsyncTestClient

from shop.app import create_app
from shop.demo import seed_demo
from shop.web.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio

# (login page, username or household code, password or PIN) as in README.md; None: not signed in.
ROLES = {
    "anyone": None,
    "admin": ("/login", "admin", "admin-demo-2026"),
    "secretary": ("/login", "cjd-shuji", "shuji-demo-2026"),
    "trainee": ("/login", "cjd-xueyuan1", "xueyuan-demo-2026"),
    "household": ("/household/login", "CJD-001", "202601"),
    "township": ("/login", "ddd-xiang", "xiang-demo-2026"),
    "county": ("/login", "chaoyang-xian", "xian-demo-2026"),
}
STARTS = ["/", "/login", "/household/login", "/v/1", "/village", "/household", "/training", "/township", "/county"]
# Not followed: files and feeds, signing out, and the GET that records a class attendance.
SKIP = re.compile(r"^/(static|media|api|schema)/|logout|check-in|\.(csv|xlsx|ics|png|svg|pdf)$")
PAGES_PER_ROLE = 60
SAME_PAGE = re.compile(r"\d+")  # /orders/9 and /orders/10 are one page: two of each are enough

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
LINK = re.compile(r'href="(/[^"#?]*)"')
GET_FORM = re.compile(r'<form[^>]*\smethod="get"')
POST_FORM = re.compile(r'<form method="post"[^>]*>(<input type="hidden" name="_csrf_token" value="[^"]+">)?')


async def _sign_in(client: AsyncTestClient, login: tuple[str, str, str]) -> None:
    form_path, name, secret = login
    page = (await client.get(form_path)).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert token is not None
    fields = ("username", "password") if form_path == "/login" else ("code", "pin")
    answer = await client.post(form_path, data={fields[0]: name, fields[1]: secret, "_csrf_token": token.group(1)})
    assert answer.status_code in (200, 303), (name, answer.status_code)


async def _crawl(client: AsyncTestClient) -> dict[str, tuple[int, dict[str, str], str]]:
    seen: dict[str, tuple[int, dict[str, str], str]] = {}
    shapes: dict[str, int] = {}
    queue = deque(STARTS)
    while queue and len(seen) < PAGES_PER_ROLE:
        path = queue.popleft()
        shape = SAME_PAGE.sub("N", path)
        if path in seen or SKIP.search(path) or shapes.get(shape, 0) >= 2:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = await client.get(path, follow_redirects=False)
        is_html = response.headers.get("content-type", "").startswith("text/html")
        seen[path] = (response.status_code, dict(response.headers), response.text if is_html else "")
        if is_html and response.status_code == 200:
            queue.extend(link for link in LINK.findall(response.text) if link not in seen)
    return seen


async def test_every_page_of_the_demo_carries_the_headers_and_meets_the_policy(app, db, settings) -> None:
    async with db.write() as session:
        await seed_demo(session, app.state.hasher, app.state.domains.events)
    pages_checked = 0
    for role, login in ROLES.items():
        # An app of its own for each role: an app's login hashing pool ends with its client.
        async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
            if login is not None:
                await _sign_in(client, login)
            pages = await _crawl(client)
        ok = [path for path, (status, _, html) in pages.items() if status == 200 and html]
        assert len(ok) >= 3, (role, sorted(pages))
        for path, (status, headers, html) in pages.items():
            where = f"{role} {path} ({status})"
            assert status < 500, where
            assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, where
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff", where
            assert headers["referrer-policy"] == "same-origin", where
            assert "strict-transport-security" not in headers, where
            for name, pattern in (
                ("inline script", INLINE_SCRIPT),
                ("event-handler attribute", HANDLER_ATTRIBUTE),
                ("style attribute", STYLE_ATTRIBUTE),
                ("style element", STYLE_ELEMENT),
                ("javascript: URL", SCRIPT_URL),
            ):
                found = pattern.search(html)
                assert found is None, f"{where}: {name}: {found.group(0)[:120] if found else ''}"
            # Every post form comes from the post_form macro, which opens it with the request's CSRF token.
            post_forms = list(POST_FORM.finditer(html))
            assert html.count("<form") == len(GET_FORM.findall(html)) + len(post_forms), where
            forms_without_token = [m.group(0) for m in post_forms if m.group(1) is None]
            assert forms_without_token == [], f"{where}: {forms_without_token}"
        pages_checked += len(ok)
    assert pages_checked >= 60  # the crawl really went through the demo, not just the login pages


async def test_the_policy_allows_only_this_site() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


async def test_hsts_only_when_cookies_are_secure(settings) -> None:
    for secure in (False, True):
        app = create_app(dataclasses.replace(settings, cookie_secure=secure))
        async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
            for path in ("/login", "/api/v1/me", "/no-such-page"):
                response = await client.get(path)
                assert ("strict-transport-security" in response.headers) is secure, (secure, path)
                if secure:
                    assert response.headers["strict-transport-security"] == "max-age=31536000"
