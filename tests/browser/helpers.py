"""What every browser journey checks on a phone: no sideways scroll, a light page, a screenshot to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class PageWeight:
    """Bytes the browser fetched for the current page, photos excluded (the 60 KB budget)."""

    def __init__(self, page: Any) -> None:
        self.sizes: dict[str, int] = {}
        page.on("response", self._record)

    def _record(self, response: Any) -> None:
        if response.request.resource_type in ("image", "media"):
            return
        try:
            self.sizes[response.url] = len(response.body())
        except Exception:
            self.sizes[response.url] = 0

    def reset(self) -> None:
        self.sizes.clear()

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def check_phone_page(page: Any, shots: Path, name: str, weight: PageWeight | None = None) -> None:
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: sideways scroll of {overflow}px"
    if weight is not None:
        assert weight.total < 60_000, f"{name}: {weight.total} bytes before photos"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def api(base_url: str, method: str, path: str, body: dict | None = None, *, token: str | None = None) -> Any:
    """A JSON call against the live server (to arrange what a journey starts from)."""
    import json
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the test's own server
        f"{base_url}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def staff_token(base_url: str, username: str, password: str) -> str:
    return api(base_url, "POST", "/api/v1/auth/token", {"username": username, "password": password})["access_token"]


def log_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button[type=submit].block")
    page.wait_for_load_state("networkidle")
