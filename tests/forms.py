"""Form helpers for the page tests: the CSRF token a page's form carries, to post it back as a browser would."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token in the page's first form; fails the test plainly when the page has no form."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


async def form_token(client: Any, path: str) -> str:
    """GET ``path`` (it must answer 200) and return its form's CSRF token."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return csrf_token(page.text)
