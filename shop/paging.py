"""Paging for list calls: ``limit``/``offset`` in, ``{items, total}`` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

import msgspec
from advanced_alchemy.filters import LimitOffset
from litestar.params import QueryParameter

T = TypeVar("T")

MAX_LIMIT = 200
MAX_OFFSET = 10**9


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int = 50
    offset: int = 0

    @property
    def filter(self) -> LimitOffset:
        return LimitOffset(limit=self.limit, offset=self.offset)


def page_count(total: int, size: int) -> int:
    """How many pages of ``size`` rows ``total`` rows fill; an empty list is still one (empty) page."""
    return max(1, -(-total // size))


def provide_paging(
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="page size")] = 50,
    offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
