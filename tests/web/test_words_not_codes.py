"""Words, not codes: every page of the demo village, walked as each of its people would (secretary, trainee,
a villager, the township officer, the county supervisor, the admin), in Chinese and in English.

A page fails when it shows a stored code where a word belongs (``douyin``, ``wechat``, ``manual``,
``credit:line:12``, ``sale_credit`` …), or, on a Chinese page, an English message id that the catalog
translates (the string was shown without going through the catalog).
"""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from litestar.testing import AsyncTestClient

from shop.cases.demo import DEMO_COUNTY_SUPERVISOR, DEMO_TOWNSHIP_OFFICER
from shop.demo import DEMO_ADMIN, DEMO_HOUSEHOLDS, DEMO_SECRETARY, DEMO_TRAINEES, seed_demo
from shop.i18n import LOCALES_DIR
from tests.forms import form_token

pytestmark = pytest.mark.anyio

# Codes that are never words in either language: platforms, payout methods, transaction and account kinds.
CODES_ANYWHERE = re.compile(
    r"(?<![\w/.=-])(douyin|kuaishou|weixin|taobao|wechat|alipay|sale_credit|sale_reversal|sales_clearing|"
    r"payout-reversal|(?:credit|refund|payout|case):(?:line:)?\d+(?::\w+)*)(?![\w/.-])"
)
# Codes that are English words too: a code only on a Chinese page.
CODES_ON_CHINESE_PAGES = re.compile(
    r"(?<![\w/.=-])(manual|comment|cash|bank|direct|placed|shipped|refunded)(?![\w/.-])"
)
MAX_PAGES = 40  # per person and language; pages that differ only by an id count once
SKIP = re.compile(
    r"^/(static|media|api|schema|logout|healthz)\b|/export/|/live/events$|\.(csv|xlsx|ics|pdf|svg|png|jpg)$|"
    r"/calendar/|/template\b|/labels\b|/print\b"
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
_LINK = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')


def _visible(page: str) -> str:
    return html.unescape(_TAGS.sub(" ", page))


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _msgids() -> list[str]:
    """English message ids the Chinese catalog translates, long enough not to be a word of a sentence."""
    with (LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    ids = []
    for message in catalog:
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        text = message.id
        if "%" in text or len(text) < 16 or " " not in text or text == message.string:
            continue
        ids.append(text)
    return ids


async def _walk(client, start: str) -> dict[str, str]:
    """path → visible text of every HTML page reachable by links from ``start`` (one of each kind)."""
    pages: dict[str, str] = {}
    shapes: dict[str, int] = {}
    queue = deque([start])
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        if path in pages or SKIP.search(urlsplit(path).path):
            continue
        shape = _shape(urlsplit(path).path)
        if shapes.get(shape, 0) >= 1:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        response = await client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages[path] = response.text
        for href in _LINK.findall(response.text):
            target = urlsplit(urljoin(path, html.unescape(href)))
            if target.netloc or target.scheme or "lang=" in target.query:
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


async def _staff(client, username: str, password: str) -> None:
    token = await form_token(client, "/login")
    response = await client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


async def _household(client, code: str, pin: str) -> None:
    token = await form_token(client, "/household/login")
    response = await client.post(
        "/household/login", data={"code": code, "pin": pin, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


PEOPLE = {
    "secretary": ("staff", DEMO_SECRETARY[0], DEMO_SECRETARY[1], "/"),
    "trainee": ("staff", DEMO_TRAINEES[0][0], DEMO_TRAINEES[0][1], "/"),
    "villager": ("household", DEMO_HOUSEHOLDS[0][0], DEMO_HOUSEHOLDS[0][3], "/household"),
    "township": ("staff", DEMO_TOWNSHIP_OFFICER[0], DEMO_TOWNSHIP_OFFICER[1], "/"),
    "county": ("staff", DEMO_COUNTY_SUPERVISOR[0], DEMO_COUNTY_SUPERVISOR[1], "/"),
    "admin": ("staff", DEMO_ADMIN[0], DEMO_ADMIN[1], "/"),
}


def _problems(lang: str, path: str, text: str, msgids: list[str]) -> list[str]:
    def around(match: re.Match[str]) -> str:
        return f"{lang} {path}: code {match.group(1)!r} in …{text[max(0, match.start() - 30) : match.end() + 30]!r}…"

    found = [around(match) for match in CODES_ANYWHERE.finditer(text)]
    if lang == "zh":
        found += [around(match) for match in CODES_ON_CHINESE_PAGES.finditer(text)]
        found += [f"zh {path}: untranslated {msgid!r}" for msgid in msgids if msgid in text]
    return found


async def test_every_page_of_the_demo_shows_words_not_codes(app) -> None:
    from shop.db import unit_of_work

    async with unit_of_work(app.state.alchemy_config) as session:
        await seed_demo(session, app.state.hasher, app.state.domains.events)
    msgids = _msgids()
    problems: list[str] = []
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        for person, (kind, login, secret, home) in PEOPLE.items():
            client.cookies.clear()  # the next person signs in afresh (one client: the app starts and stops once)
            await (_staff(client, login, secret) if kind == "staff" else _household(client, login, secret))
            for lang in ("zh", "en"):
                assert (await client.get(f"{home}?lang={lang}")).status_code == 200
                pages = await _walk(client, home)
                assert len(pages) >= 3, f"{person} reached only {list(pages)}"
                for path, page in pages.items():
                    problems += _problems(lang, f"{person} {path}", _visible(page), msgids)
    assert not problems, "\n".join(sorted(set(problems)))


async def test_a_comment_the_parser_cannot_read_is_explained_in_the_pages_language(app) -> None:
    from sqlalchemy import select

    from shop.db import unit_of_work
    from shop.streams.models import Stream

    async with unit_of_work(app.state.alchemy_config) as session:
        await seed_demo(session, app.state.hasher, app.state.domains.events)
        stream_id = (await session.execute(select(Stream.id).where(Stream.title.like("剪纸%")))).scalar_one()
    said = {  # no product named and none on screen: the parser guesses nothing and says so
        "zh": "没说要哪个商品，现在也没有正在讲解的商品，请手选",
        "en": "No product named and none is being presented now: please choose one.",
    }
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await _staff(client, DEMO_SECRETARY[0], DEMO_SECRETARY[1])
        for lang, other in (("zh", "en"), ("en", "zh")):
            token = await form_token(client, f"/streams/{stream_id}/comments?lang={lang}")
            page = await client.post(
                f"/streams/{stream_id}/comments", data={"text": "上车 来两袋", "_csrf_token": token}
            )
            assert page.status_code == 200, page.text
            text = _visible(page.text)
            assert said[lang] in text, text
            assert said[other] not in text
