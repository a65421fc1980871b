"""What each main page weighs as a phone first fetches it: the HTML plus the stylesheets it links (the
pages need no script; photos are not counted). The demo village is seeded into a temporary SQLite file
and each role signs in as the README says. The bar: under 60 KB before photos.

    .venv/bin/python -m bench.page_weight
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

BUDGET = 60 * 1024

PAGES = {
    None: ["/login", "/household/login", "/v/1", "/products/1", "/v/1/transparency"],
    ("/login", "cjd-shuji", "shuji-demo-2026"): [
        "/village",
        "/streams",
        "/orders",
        "/orders/packing",
        "/catalogue",
        "/households",
        "/payouts",
        "/ledger",
        "/audit",
        "/training",
    ],
    ("/household/login", "CJD-001", "202601"): ["/household"],
    ("/login", "cjd-xueyuan1", "xueyuan-demo-2026"): ["/training"],
}


def demo_settings(var: Path) -> Any:
    """A fresh SQLite file under ``var``, migrated (outside any event loop: Alembic runs its own)."""
    from shop.cli import migrate
    from shop.settings import Settings

    settings = Settings.from_env(
        {
            **os.environ,
            "SHOP_DATABASE_URL": f"sqlite+aiosqlite:///{var / 'shop.db'}",
            "SHOP_VAR_DIR": str(var),
            "SHOP_LOG_LEVEL": "WARNING",
        }
    )
    migrate(settings)
    return settings


async def weigh(settings: Any) -> list[tuple[str, str, int, int, int]]:
    from litestar.testing import AsyncTestClient

    from shop.app import create_app
    from shop.cli import _seed_demo

    await _seed_demo(settings)
    rows = []
    stylesheets: dict[str, int] = {}
    for login, paths in PAGES.items():
        async with AsyncTestClient(app=create_app(settings), base_url="http://weigh.local") as client:
            who = "anyone"
            if login is not None:
                form_path, name, secret = login
                page = (await client.get(form_path)).text
                token = re.search(r'name="_csrf_token" value="([^"]+)"', page)
                assert token is not None, form_path
                field = ("username", "password") if form_path == "/login" else ("code", "pin")
                answer = await client.post(
                    form_path, data={field[0]: name, field[1]: secret, "_csrf_token": token.group(1)}
                )
                assert answer.status_code in (200, 303), (form_path, answer.status_code)
                who = name
            for path in paths:
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                css = 0
                for href in re.findall(r'<link[^>]+href="([^"]+\.css[^"]*)"', response.text):
                    if href not in stylesheets:
                        stylesheets[href] = len((await client.get(href)).content)
                    css += stylesheets[href]
                rows.append((who, path, len(response.content), css, len(response.content) + css))
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        rows = asyncio.run(weigh(demo_settings(Path(tmp))))
    print("page weight on the demo village (HTML + CSS as first fetched; photos not counted; bar 60 KB):")
    over = []
    for who, path, html, css, total in rows:
        print(f"  {who:<14} {path:<24} html {html / 1024:5.1f} KB + css {css / 1024:4.1f} KB = {total / 1024:5.1f} KB")
        if total > BUDGET:
            over.append(path)
    heaviest = max(rows, key=lambda row: row[4])
    print(f"  heaviest: {heaviest[1]} at {heaviest[4] / 1024:.1f} KB")
    if over:
        print("OVER 60 KB: " + ", ".join(over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
