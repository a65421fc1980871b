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
