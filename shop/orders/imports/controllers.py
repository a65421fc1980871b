"""JSON API: import a platform's order export (``POST /api/v1/orders/import``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.params import MultipartBody

from shop import i18n
from shop.errors import N_, InvalidInput
from shop.web.auth import requires_staff
from shop.web.deps import Actor

# A 100,000-row export is about 27 MB of CSV; the multipart envelope adds a little.
IMPORT_BODY_LIMIT = 64 * 1024 * 1024


@dataclass
class ExportUpload:
    file: UploadFile
    platform: str = ""
    village_id: str = ""


class ImportProblem(msgspec.Struct):
    row: int
    reason: str


class OrderImportOut(msgspec.Struct):
    created: int
    updated: int
    duplicates: int
    held: list[ImportProblem]
    rejected: list[ImportProblem]
    import_id: int | None = None


def _village(value: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput("village_id", N_("village_id must be a village's id."))
    return int(text)


class OrderImportController(Controller):
    path = "/orders/import"
    tags = ["orders"]
    guards = [requires_staff]

    @post("/", status_code=200, request_max_body_size=IMPORT_BODY_LIMIT)
    async def import_orders(
        self, data: MultipartBody[ExportUpload], actor: Actor, request: Request[Any, Any, Any]
    ) -> OrderImportOut:
        """Import a platform order export (multipart ``file`` + ``platform``: douyin, kuaishou or weixin).

        CSV in UTF-8 (with or without BOM) or GB18030, or XLSX. Counted in orders: ``created``, ``updated``
        (status moves applied), ``duplicates`` (nothing new), ``held`` (an unmatched product; kept until it is
        mapped) and ``rejected`` rows with reasons. A file that cannot be trusted as a whole (ids mangled by
        Excel, unrecognised headers) is 422 with the reason, and nothing is imported.
        """
        if not isinstance(data.file, UploadFile) or not data.file.filename:
            raise InvalidInput("file", N_("Attach the platform's order export as the file field."))
        outcome = await request.app.state.order_imports.import_export(
            actor,
            await data.file.read(),
            data.file.filename,
            (data.platform or "").strip(),
            village_id=_village(data.village_id),
        )
        return OrderImportOut(
            created=outcome.created,
            updated=outcome.updated,
            duplicates=outcome.duplicates,
            held=[ImportProblem(problem.row, problem.render(i18n.translate)) for problem in outcome.held],
            rejected=[ImportProblem(problem.row, problem.render(i18n.translate)) for problem in outcome.rejected],
            import_id=outcome.import_id,
        )
