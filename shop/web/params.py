"""Shared parameter types: database ids are 64-bit, so anything larger is bad input (400), not a crash."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter, QueryParameter

MAX_ID = 2**63 - 1

IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
DbId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
