"""JSON API: villagers raise and rate cases; the village, the township and the county answer, resolve,
correct the books for them and (the county) close them with a written reason."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.cases import corrections
from shop.cases.models import Case, CaseLedgerLink
from shop.cases.schemas import CaseIn, CaseOut, CloseIn, CorrectionIn, CorrectionOut, RatingIn, ReplyIn, ResolveIn
from shop.cases.services import (
    add_reply,
    close_by_county,
    get_case,
    handler_level,
    list_cases,
    logs_of,
    photo_ids_of,
    raise_case,
    rate_case,
    resolve_case,
)
from shop.catalogue.services import ContributionInput
from shop.errors import N_, InvalidInput
from shop.paging import Page
from shop.web.deps import Actor, DbSession, PageParams
from shop.web.params import IdPath, IdQuery


async def cases_out(session: AsyncSession, actor: Principal, cases: list[Case]) -> list[CaseOut]:
    ids = [c.id for c in cases]
    logs, photos = await logs_of(session, ids), await photo_ids_of(session, ids)
    with_log = handler_level(actor) is not None
    return [CaseOut.of(c, logs[c.id], photos[c.id], with_log=with_log) for c in cases]


async def case_out(session: AsyncSession, actor: Principal, case_id: int) -> CaseOut:
    (out,) = await cases_out(session, actor, [await get_case(session, actor, case_id)])
    return out


class CaseController(Controller):
    path = "/cases"
    tags = ["cases"]

    @post("/")
    async def raise_a_case(self, data: JSONBody[CaseIn], db_session: DbSession, actor: Actor) -> CaseOut:
        """A villager raises a case about their own weigh-in (``contribution_id``), sale (``ledger_entry_id``)
        or payout (``payout_id``), or a blank one; the village has 2 working days to respond (1 for a payout)
        and 7 to resolve."""
        case = await raise_case(
            db_session,
            actor,
            topic=data.topic,
            text=data.text,
            claimed=data.claimed,
            contribution_id=data.contribution_id,
            ledger_entry_id=data.ledger_entry_id,
            payout_id=data.payout_id,
            previous_case_id=data.previous_case_id,
        )
        return await case_out(db_session, actor, case.id)

    @get("/")
    async def list_the_cases(
        self,
        db_session: DbSession,
        actor: Actor,
        paging: PageParams,
        status: Annotated[str | None, Parameter(pattern="^(open|answered|closed)$")] = None,
        level: Annotated[str | None, Parameter(pattern="^(village|township|county)$")] = None,
        village_id: IdQuery = None,
    ) -> Page[CaseOut]:
        """The cases within the caller's reach: a villager their household's, a secretary their village's,
        a township officer their township's villages', the county supervisor and the admin the county's."""
        rows, total = await list_cases(db_session, actor, paging, status=status, level=level, village_id=village_id)
        return Page(await cases_out(db_session, actor, rows), total, paging.limit, paging.offset)

    @get("/{case_id:int}")
    async def get_a_case(self, case_id: IdPath, db_session: DbSession, actor: Actor) -> CaseOut:
        return await case_out(db_session, actor, case_id)

    @post("/{case_id:int}/replies")
    async def reply(self, case_id: IdPath, data: JSONBody[ReplyIn], db_session: DbSession, actor: Actor) -> CaseOut:
        """A handler answers (the first answer stops the response clock; ``needs_info`` pauses the clocks
        until the villager adds something), or the villager adds information."""
        await add_reply(db_session, actor, case_id, data.text, needs_info=data.needs_info)
        return await case_out(db_session, actor, case_id)

    @post("/{case_id:int}/resolve", status_code=200)
    async def resolve(self, case_id: IdPath, data: JSONBody[ResolveIn], db_session: DbSession, actor: Actor) -> CaseOut:
        """A handler at or above the case's floor resolves it (``corrected`` only after a correction was
        made for it); the case waits for the villager's rating."""
        await resolve_case(db_session, actor, case_id, data.outcome, data.text)
        return await case_out(db_session, actor, case_id)

    @post("/{case_id:int}/rating", status_code=200)
    async def rate(self, case_id: IdPath, data: JSONBody[RatingIn], db_session: DbSession, actor: Actor) -> CaseOut:
        """The villager rates the answer: solved and not dissatisfied closes it; anything else reopens it one
        level up (at the county it stays open there)."""
        await rate_case(db_session, actor, case_id, solved=data.solved, satisfaction=data.satisfaction)
        return await case_out(db_session, actor, case_id)

    @post("/{case_id:int}/close", status_code=200)
    async def close(self, case_id: IdPath, data: JSONBody[CloseIn], db_session: DbSession, actor: Actor) -> CaseOut:
        """The county closes a case at the county with a written reason (counted as not satisfied)."""
        await close_by_county(db_session, actor, case_id, data.reason)
        return await case_out(db_session, actor, case_id)

    @post("/{case_id:int}/corrections")
    async def correct(
        self, case_id: IdPath, data: JSONBody[CorrectionIn], db_session: DbSession, actor: Actor
    ) -> CorrectionOut:
        """Correct the books for a case: a lot's weights, a sale's price, or a payout that never arrived;
        the balanced ledger transactions posted are linked to the case."""
        if data.kind == "weights":
            if not data.contributions:
                raise InvalidInput("contributions", N_("List every household of the lot with its quantity."))
            correction = await corrections.correct_weights(
                db_session,
                actor,
                case_id,
                [ContributionInput(c.household_id, c.quantity) for c in data.contributions],
                lot_id=data.lot_id,
            )
        elif data.kind == "price":
            if data.unit_price_fen is None:
                raise InvalidInput("unit_price_fen", N_("Give the corrected unit price in fen."))
            correction = await corrections.correct_price(db_session, actor, case_id, data.unit_price_fen)
        else:
            correction = await corrections.reverse_payout(
                db_session, actor, case_id, repay_method=data.repay_method, reference=data.reference
            )
        linked = await db_session.execute(
            select(CaseLedgerLink.transaction_id)
            .where(CaseLedgerLink.correction_id == correction.id)
            .order_by(CaseLedgerLink.transaction_id)
        )
        return CorrectionOut.of(correction, list(linked.scalars()))
