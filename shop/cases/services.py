"""The rules of a case: who may raise, answer, resolve, rate and close it, on which clocks, and what each
step records. The pages and the JSON API are two doors to these functions; the scheduler runs the clock
jobs at the bottom.

Clocks run on working days by the official calendar (``shop.workdays``): respond within 2 (a payout not
received: 1), resolve within 7, counted afresh whenever a level receives the case. They stand still while
the handler waits for the villager to add something. A missed deadline lifts the case one level
(village → township → county); the village stays responsible and may still resolve it. A rating of 否 or
不满意 reopens it one level up, and then only that level or a higher one resolves it. At the county it
stays open until the villager is satisfied or the county closes it with a written reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.principal import Principal
from shop.cases import notices
from shop.cases.models import (
    EVENT_LABELS,
    LEVEL_LABELS,
    Case,
    CaseCorrection,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    EventKind,
    Level,
    Outcome,
    Satisfaction,
    Topic,
)
from shop.catalogue.models import Contribution, Lot, Product
from shop.errors import N_, Conflict, InvalidInput, Label, NotFound, PermissionDenied
from shop.ledger.models import AccountKind, LedgerEntry, LedgerTransaction, Payout
from shop.ledger.reading import AuditRow
from shop.media import StoredPhoto
from shop.orders.models import OrderLine
from shop.paging import Paging
from shop.text import clean_text
from shop.timeutil import as_utc, to_local, utcnow
from shop.villages.models import Village
from shop.workdays import deadline_after, shift_deadline

RESPOND_WORKING_DAYS = 2
RESPOND_WORKING_DAYS_PAYOUT = 1  # a payout that did not arrive is money someone is waiting for
RESOLVE_WORKING_DAYS = 7
RATING_WINDOW = timedelta(days=7)
REOPEN_WINDOW = timedelta(days=30)
MAX_PHOTOS = 3
TEXT_MAX = 1000
CLAIMED_MAX = 50
REASON_MIN = 10

HANDLER_LEVELS = {"secretary": Level.VILLAGE, "township": Level.TOWNSHIP, "county": Level.COUNTY, "admin": Level.COUNTY}
HOUSEHOLD_ACCOUNTS = (AccountKind.HOUSEHOLD.value, AccountKind.RECOVERY.value)


def handler_level(actor: Principal) -> Level | None:
    """The level a user answers cases at; ``None`` for villagers and trainees."""
    return HANDLER_LEVELS.get(actor.role) if actor.kind == "user" else None


def villages_of(actor: Principal) -> Any:
    """The ids of the villages whose cases an officer sees, as a subquery."""
    if actor.role == "township":
        return select(Village.id).where(Village.township == actor.township, Village.county == actor.county)
    return select(Village.id).where(Village.county == actor.county)


def reach(actor: Principal) -> ColumnElement[bool]:
    """The cases ``actor`` may see: a villager their household's, a secretary their village's, a township
    officer their township's villages', the county supervisor the county's, the admin all."""
    if actor.kind == "household":
        return Case.household_id == actor.id
    if actor.is_admin:
        return true()
    if actor.is_secretary:
        return Case.village_id == actor.village_id
    if actor.is_officer:
        return Case.village_id.in_(villages_of(actor))
    return false()


def _who(actor: Principal | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_kind": "system", "actor_id": None, "actor_role": "system", "actor_name": ""}
    role = "household" if actor.kind == "household" else actor.role
    return {"actor_kind": actor.kind, "actor_id": actor.id, "actor_role": role, "actor_name": actor.name[:50]}


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def clock_view(case: Case) -> dict[str, Any]:
    return {
        "level": case.level,
        "floor_level": case.floor_level,
        "status": case.status,
        "respond_by": _iso(case.respond_by),
        "resolve_by": _iso(case.resolve_by),
        "paused": case.paused_since is not None,
    }


async def record_event(
    session: AsyncSession,
    case: Case,
    kind: EventKind,
    actor: Principal | None,
    at: datetime,
    *,
    text: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id,
        at=at,
        level=case.level,
        kind=kind.value,
        text=text,
        before=before or {},
        after=after or {},
        **_who(actor),
    )
    session.add(event)
    await session.flush()
    return event


def _start_clocks(case: Case, now: datetime) -> None:
    """A level receives the case: its response and resolution clocks start now."""
    respond = RESPOND_WORKING_DAYS_PAYOUT if case.topic == Topic.PAYOUT.value else RESPOND_WORKING_DAYS
    case.level_since = now
    case.respond_by = deadline_after(now, respond)
    case.resolve_by = deadline_after(now, RESOLVE_WORKING_DAYS)
    case.responded_at = None


def _clean_text(value: str | None, field: str = "text", *, max_len: int = TEXT_MAX, required: bool = True) -> str:
    return clean_text(value, field, max_len=max_len, required=required)


# --- reading ----------------------------------------------------------------------------------------------


async def get_case(session: AsyncSession, actor: Principal, case_id: int, *, for_update: bool = False) -> Case:
    """A case within reach; anything else (another household's, village's, township's) is 404."""
    statement = select(Case).where(Case.id == case_id, reach(actor))
    if for_update:
        statement = statement.with_for_update()
    case = (await session.execute(statement)).scalar_one_or_none()
    if case is None:
        raise NotFound()
    return case


async def list_cases(
    session: AsyncSession,
    actor: Principal,
    paging: Paging,
    *,
    status: str | None = None,
    level: str | None = None,
    village_id: int | None = None,
    not_closed: bool = False,
) -> tuple[list[Case], int]:
    if actor.kind == "user" and handler_level(actor) is None:
        raise PermissionDenied()
    conditions: list[Any] = [reach(actor)]
    if status:
        conditions.append(Case.status == CaseStatus(status).value)
    if not_closed:
        conditions.append(Case.status != CaseStatus.CLOSED.value)
    if level:
        conditions.append(Case.level == Level(level).value)
    if village_id is not None:
        conditions.append(Case.village_id == village_id)
    total = (await session.execute(select(func.count()).select_from(Case).where(*conditions))).scalar_one()
    rows = await session.execute(
        select(Case)
        .where(*conditions)
        .order_by(Case.status == CaseStatus.CLOSED.value, Case.opened_at.desc(), Case.id.desc())
        .limit(paging.limit)
        .offset(paging.offset)
    )
    return list(rows.scalars()), int(total)


async def events_of(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    rows = await session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    return list(rows.scalars())


async def logs_of(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[CaseEvent]]:
    """The events of many cases in one query (case id → its events, oldest first)."""
    logs: dict[int, list[CaseEvent]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        rows = await session.execute(
            select(CaseEvent).where(CaseEvent.case_id.in_(case_ids)).order_by(CaseEvent.case_id, CaseEvent.id)
        )
        for event in rows.scalars():
            logs[event.case_id].append(event)
    return logs


async def photo_ids_of(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, list[int]]:
    ids: dict[int, list[int]] = {case_id: [] for case_id in case_ids}
    if case_ids:
        rows = await session.execute(
            select(CasePhoto.case_id, CasePhoto.id).where(CasePhoto.case_id.in_(case_ids)).order_by(CasePhoto.id)
        )
        for case_id, photo_id in rows.all():
            ids[case_id].append(photo_id)
    return ids


async def photos_of(session: AsyncSession, case_id: int) -> list[CasePhoto]:
    rows = await session.execute(select(CasePhoto).where(CasePhoto.case_id == case_id).order_by(CasePhoto.id))
    return list(rows.scalars())


async def photo_for(session: AsyncSession, actor: Principal, photo_id: int) -> CasePhoto:
    """A case's photo, for those who reach the case only."""
    photo = (
        await session.execute(
            select(CasePhoto).join(Case, Case.id == CasePhoto.case_id).where(CasePhoto.id == photo_id, reach(actor))
        )
    ).scalar_one_or_none()
    if photo is None:
        raise NotFound()
    return photo


async def corrections_of(session: AsyncSession, case: Case) -> list[CaseCorrection]:
    """The corrections made for this case, and for the lot it is about since it was raised (the cases of
    several households about one lot are answered together)."""
    mine = CaseCorrection.case_id == case.id
    if case.lot_id is not None:
        mine = or_(mine, and_(CaseCorrection.lot_id == case.lot_id, CaseCorrection.made_at >= case.opened_at))
    rows = await session.execute(select(CaseCorrection).where(mine).order_by(CaseCorrection.id))
    return list(rows.scalars())


async def open_cases_by_subject(session: AsyncSession, household_id: int) -> dict[str, int]:
    """subject key → the household's case not yet closed about it (to show instead of a new 'ask')."""
    rows = await session.execute(
        select(Case.subject_key, Case.id).where(
            Case.household_id == household_id, Case.status != CaseStatus.CLOSED.value, Case.subject_key.is_not(None)
        )
    )
    return {key: case_id for key, case_id in rows.tuples() if key is not None}


async def audit_rows(session: AsyncSession, village_id: int, limit: int = 200) -> list[AuditRow]:
    """Every step of the village's cases, for the village's audit trail beside the money and the orders."""
    rows = await session.execute(
        select(CaseEvent)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(Case.village_id == village_id)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(limit)
    )
    return [
        AuditRow(
            e.at,
            e.actor_name or N_("automatic"),
            N_("Case #%(case)s: %(what)s"),
            {"case": e.case_id, "what": Label(EVENT_LABELS[e.kind])},
            None,
            f"/cases/{e.case_id}",
        )
        for e in rows.scalars()
    ]


# --- raising ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    key: str | None
    recorded: dict[str, Any]
    contribution_id: int | None = None
    ledger_entry_id: int | None = None
    payout_id: int | None = None
    lot_id: int | None = None
    order_line_id: int | None = None


async def subject_of(
    session: AsyncSession,
    household_id: int,
    *,
    contribution_id: int | None = None,
    ledger_entry_id: int | None = None,
    payout_id: int | None = None,
) -> Subject:
    """What a case is about, with a snapshot of what the books say; another household's record is 404."""
    given = [x for x in (contribution_id, ledger_entry_id, payout_id) if x is not None]
    if len(given) > 1:
        raise InvalidInput("subject", N_("A case is about one thing: a weigh-in, a sale or a payout."))
    if contribution_id is not None:
        return await _weigh_in_subject(session, household_id, contribution_id)
    if ledger_entry_id is not None:
        return await _sale_subject(session, household_id, ledger_entry_id)
    if payout_id is not None:
        return await _payout_subject(session, household_id, payout_id)
    return Subject(None, {})


async def _weigh_in_subject(session: AsyncSession, household_id: int, contribution_id: int) -> Subject:
    """A weigh-in: the household's contribution to a lot, as the books recorded it."""
    found = (
        await session.execute(
            select(Contribution, Lot, Product)
            .join(Lot, Lot.id == Contribution.lot_id)
            .join(Product, Product.id == Lot.product_id)
            .where(Contribution.id == contribution_id, Contribution.household_id == household_id)
        )
    ).first()
    if found is None:
        raise NotFound(field="contribution_id")
    contribution, lot, product = found
    recorded = {
        "kind": "contribution",
        "product": product.name,
        "unit": product.unit,
        "lot": lot.public_code,
        "received_on": lot.received_on.isoformat(),
        "quantity": contribution.quantity,
        "receipt_no": contribution.receipt_no,
    }
    return Subject(f"contribution:{contribution.id}", recorded, contribution_id=contribution.id, lot_id=lot.id)


async def _sale_subject(session: AsyncSession, household_id: int, ledger_entry_id: int) -> Subject:
    """A sale: the household's share of a credited order line, as the books recorded it."""
    found = (
        await session.execute(
            select(LedgerEntry, LedgerTransaction, OrderLine, Product)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .join(OrderLine, OrderLine.id == LedgerTransaction.order_line_id)
            .join(Product, Product.id == OrderLine.product_id)
            .where(
                LedgerEntry.id == ledger_entry_id,
                LedgerEntry.household_id == household_id,
                LedgerEntry.account_kind.in_(HOUSEHOLD_ACCOUNTS),
            )
        )
    ).first()
    if found is None:
        raise NotFound(field="ledger_entry_id")
    entry, transaction, line, product = found
    # A sale that settled a debt has two entries (balance and recovery): the household's share is both.
    share = (
        await session.execute(
            select(
                func.coalesce(func.sum(LedgerEntry.amount_fen), 0), func.coalesce(func.sum(LedgerEntry.units), 0)
            ).where(
                LedgerEntry.transaction_id == transaction.id,
                LedgerEntry.household_id == household_id,
                LedgerEntry.account_kind.in_(HOUSEHOLD_ACCOUNTS),
            )
        )
    ).one()
    recorded = {
        "kind": "sale",
        "product": product.name,
        "unit": product.unit,
        "order_id": transaction.order_id,
        "units": int(share[1]),
        "amount_fen": int(share[0]),
        "unit_price_fen": line.unit_price_fen,
        "posted_at": _iso(transaction.posted_at),
        "day": to_local(transaction.posted_at).strftime("%Y-%m-%d"),
    }
    return Subject(f"entry:{entry.id}", recorded, ledger_entry_id=entry.id, order_line_id=line.id)


async def _payout_subject(session: AsyncSession, household_id: int, payout_id: int) -> Subject:
    """A payout to the household, as the books recorded it."""
    payout = (
        await session.execute(select(Payout).where(Payout.id == payout_id, Payout.household_id == household_id))
    ).scalar_one_or_none()
    if payout is None:
        raise NotFound(field="payout_id")
    recorded = {
        "kind": "payout",
        "amount_fen": payout.amount_fen,
        "method": payout.method,
        "reference": payout.reference,
        "paid_at": _iso(payout.paid_at),
        "day": to_local(payout.paid_at).strftime("%Y-%m-%d"),
    }
    return Subject(f"payout:{payout.id}", recorded, payout_id=payout.id)


def _attach(session: AsyncSession, case: Case, event: CaseEvent, photos: Sequence[StoredPhoto]) -> None:
    for photo in photos:
        session.add(
            CasePhoto(
                case_id=case.id,
                event_id=event.id,
                display_path=photo.display_path,
                thumb_path=photo.thumb_path,
                width=photo.width,
                height=photo.height,
            )
        )


async def _check_photo_room(session: AsyncSession, case_id: int | None, adding: int) -> None:
    have = 0
    if case_id is not None:
        have = (
            await session.execute(select(func.count()).select_from(CasePhoto).where(CasePhoto.case_id == case_id))
        ).scalar_one()
    if have + adding > MAX_PHOTOS:
        raise InvalidInput("photos", N_("A case holds at most %(max)d photos."), max=MAX_PHOTOS)


async def raise_case(
    session: AsyncSession,
    actor: Principal,
    *,
    topic: str,
    text: str,
    claimed: str = "",
    contribution_id: int | None = None,
    ledger_entry_id: int | None = None,
    payout_id: int | None = None,
    previous_case_id: int | None = None,
    photos: Sequence[StoredPhoto] = (),
    now: datetime | None = None,
) -> Case:
    """A villager raises a case about their own weigh-in, sale or payout, or a blank one."""
    if actor.kind != "household" or actor.village_id is None:
        raise PermissionDenied(N_("Only the villager raises a case about their own earnings."))
    moment = now or utcnow()
    topic_value = _topic_of(topic)
    body = _clean_text(text)
    claimed = _clean_text(claimed, "claimed", max_len=CLAIMED_MAX, required=False)
    await _check_photo_room(session, None, len(photos))
    subject = await subject_of(
        session, actor.id, contribution_id=contribution_id, ledger_entry_id=ledger_entry_id, payout_id=payout_id
    )
    if previous_case_id is not None:
        await _check_closed_case_of(session, actor.id, previous_case_id)
    if subject.key is not None:
        await _refuse_second_open(session, actor.id, subject.key)
    case = _new_case(actor.village_id, actor.id, topic_value, body, claimed, subject, moment, previous_case_id)
    _start_clocks(case, moment)
    await _insert_once(session, case)
    event = await record_event(
        session,
        case,
        EventKind.RAISED,
        actor,
        moment,
        text=body,
        after={**clock_view(case), "recorded": subject.recorded, "claimed": claimed},
    )
    _attach(session, case, event, photos)
    await notices.case_raised(session, case)
    await notices.plan_deadline_reminders(session, case, moment)
    return case


def _topic_of(topic: str) -> Topic:
    try:
        return Topic(topic)
    except ValueError as exc:
        raise InvalidInput("topic", N_("Choose what it is about: weight, price, payout or other.")) from exc


async def _check_closed_case_of(session: AsyncSession, household_id: int, case_id: int) -> None:
    """A case raised again follows one of the household's own closed cases."""
    previous = (
        await session.execute(
            select(Case.id).where(
                Case.id == case_id,
                Case.household_id == household_id,
                Case.status == CaseStatus.CLOSED.value,
            )
        )
    ).scalar_one_or_none()
    if previous is None:
        raise NotFound(field="previous_case_id")


def _new_case(
    village_id: int,
    household_id: int,
    topic: Topic,
    body: str,
    claimed: str,
    subject: Subject,
    moment: datetime,
    previous_case_id: int | None,
) -> Case:
    """An open case at the village level, tied to what it is about."""
    return Case(
        village_id=village_id,
        household_id=household_id,
        topic=topic.value,
        text=body,
        claimed=claimed,
        contribution_id=subject.contribution_id,
        ledger_entry_id=subject.ledger_entry_id,
        payout_id=subject.payout_id,
        subject_key=subject.key,
        lot_id=subject.lot_id,
        order_line_id=subject.order_line_id,
        recorded=subject.recorded,
        status=CaseStatus.OPEN.value,
        level=Level.VILLAGE.value,
        floor_level=Level.VILLAGE.value,
        opened_at=moment,
        previous_case_id=previous_case_id,
    )


async def _insert_once(session: AsyncSession, case: Case) -> None:
    """Adds the case; the database's one-open-case-per-subject rule turns a double tap into a Conflict."""
    try:
        async with session.begin_nested():
            session.add(case)
            await session.flush()
    except IntegrityError as exc:  # the same villager raised it twice at the same moment
        raise Conflict(N_("You already have a case open about this."), field="subject") from exc


async def _refuse_second_open(session: AsyncSession, household_id: int, subject_key: str) -> None:
    open_case = (
        await session.execute(
            select(Case.id).where(
                Case.household_id == household_id,
                Case.subject_key == subject_key,
                Case.status != CaseStatus.CLOSED.value,
            )
        )
    ).scalar_one_or_none()
    if open_case is not None:
        raise Conflict(
            N_("You already have case #%(id)s open about this."),
            field="subject",
            id=open_case,
            details={"case_id": open_case},
        )


# --- answering --------------------------------------------------------------------------------------------


def _mark_responded(case: Case, now: datetime) -> None:
    """A handler answered: the response clock of this level stops (the first answer is counted publicly)."""
    if case.responded_at is None:
        case.responded_at = now
    if case.first_responded_at is None:
        case.first_responded_at = now
    if case.responded_in_time is None:
        case.responded_in_time = as_utc(now) <= as_utc(case.respond_by)


def _resume(case: Case, now: datetime) -> None:
    """The villager added what was asked: the clocks run again, moved on by the working days lost."""
    if case.paused_since is None:
        return
    paused = case.paused_since
    if case.responded_at is None:
        case.respond_by = shift_deadline(case.respond_by, paused, now)
    case.resolve_by = shift_deadline(case.resolve_by, paused, now)
    case.paused_since = None


async def add_reply(
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    text: str,
    *,
    needs_info: bool = False,
    photos: Sequence[StoredPhoto] = (),
    now: datetime | None = None,
) -> CaseEvent:
    """A handler answers (any level within reach: the village stays responsible, higher levels may answer
    at once), optionally asking the villager for more, which pauses the clocks; or the villager adds
    information, which starts them again."""
    moment = now or utcnow()
    case = await get_case(session, actor, case_id, for_update=True)
    if case.status == CaseStatus.CLOSED.value:
        raise Conflict(N_("This case is closed. Rate it again within 30 days to reopen it, or raise a new case."))
    body = _clean_text(text)
    before = clock_view(case)
    if actor.kind == "household":
        await _check_photo_room(session, case.id, len(photos))
        _resume(case, moment)
        event = await record_event(
            session, case, EventKind.INFO, actor, moment, text=body, before=before, after=clock_view(case)
        )
        _attach(session, case, event, photos)
        await notices.villager_added(session, case)
    else:
        if handler_level(actor) is None:
            raise PermissionDenied()
        if photos:
            raise InvalidInput("photos", N_("Photos are the villager's: answer in words."))
        if needs_info and case.status != CaseStatus.OPEN.value:
            raise Conflict(N_("The case is waiting for the villager's rating: it cannot be paused now."))
        _mark_responded(case, moment)
        if needs_info and case.paused_since is None:
            case.paused_since = moment
        kind = EventKind.ASKED if needs_info else EventKind.REPLY
        event = await record_event(session, case, kind, actor, moment, text=body, before=before, after=clock_view(case))
        title = (
            N_("Case #%(id)s: please add what was asked") if needs_info else N_("Case #%(id)s has an answer for you")
        )
        await notices.villager_told(session, case, title)
    await session.flush()
    await notices.plan_deadline_reminders(session, case, moment)
    return event


async def has_correction(session: AsyncSession, case: Case) -> bool:
    return bool(await corrections_of(session, case))


async def resolve_case(
    session: AsyncSession, actor: Principal, case_id: int, outcome: str, text: str, *, now: datetime | None = None
) -> list[Case]:
    """A handler at or above the case's floor resolves it; the villager is asked to rate. The open cases of
    other households about the same lot are resolved with it (each rates on its own)."""
    moment = now or utcnow()
    level = handler_level(actor)
    if level is None:
        raise PermissionDenied(N_("Only the village, the township or the county resolves a case."))
    case = await get_case(session, actor, case_id, for_update=True)
    _may_resolve(case, level)
    if case.status != CaseStatus.OPEN.value:
        raise Conflict(N_("This case was already answered; the villager's rating comes next."))
    try:
        outcome_value = Outcome(outcome)
    except ValueError as exc:
        raise InvalidInput("outcome", N_("The outcome must be corrected, upheld, duplicate or withdrawn.")) from exc
    body = _clean_text(text)
    if outcome_value is Outcome.CORRECTED and not await has_correction(session, case):
        raise Conflict(
            N_("'Corrected' needs the correction itself: correct the record for this case first."), field="outcome"
        )
    together = [case]
    if case.lot_id is not None:
        others = await session.execute(
            select(Case)
            .where(
                Case.lot_id == case.lot_id,
                Case.id != case.id,
                Case.status == CaseStatus.OPEN.value,
                reach(actor),
            )
            .order_by(Case.id)
            .with_for_update()
        )
        together += [c for c in others.scalars() if Level(c.floor_level).rank <= level.rank]
    for each in together:
        before = clock_view(each)
        _mark_responded(each, moment)
        each.status = CaseStatus.ANSWERED.value
        each.answered_at = moment
        each.outcome = outcome_value.value
        each.paused_since = None
        each.solved = None
        each.satisfaction = None
        each.rated_at = None
        await record_event(
            session,
            each,
            EventKind.RESOLVED,
            actor,
            moment,
            text=body,
            before=before,
            after={**clock_view(each), "outcome": outcome_value.value, "together_with": case.id},
        )
        await notices.villager_told(session, each, N_("Case #%(id)s was answered: was it solved? Please tell us"))
        await notices.plan_deadline_reminders(session, each, moment)
    return together


def _may_resolve(case: Case, level: Level) -> None:
    floor = Level(case.floor_level)
    if level.rank < floor.rank:
        raise PermissionDenied(
            N_("The villager was not satisfied, so the %(level)s answers this case now."),
            level=LEVEL_LABELS[floor],
        )


def may_correct(actor: Principal, case: Case) -> bool:
    """Who may correct the books for a case: a handler who may resolve it, while it is not closed."""
    level = handler_level(actor)
    return level is not None and level.rank >= Level(case.floor_level).rank and case.status != CaseStatus.CLOSED.value


# --- the villager's rating --------------------------------------------------------------------------------


async def rate_case(
    session: AsyncSession,
    actor: Principal,
    case_id: int,
    *,
    solved: bool | None = None,
    satisfaction: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Only the villager rates: 解决了吗 and 满意吗, each recorded on its own tap. With both answered, solved
    and not dissatisfied closes the case; anything else reopens it one level up. A closed case may be
    rated again within 30 days (which reopens it if the answer is no); a change of rating is logged."""
    moment = now or utcnow()
    if actor.kind != "household":
        raise PermissionDenied(N_("Only the villager rates the answer."))
    if solved is None and satisfaction is None:
        raise InvalidInput("solved", N_("Answer at least one of the two questions."))
    if satisfaction is not None:
        try:
            satisfaction = Satisfaction(satisfaction).value
        except ValueError as exc:
            raise InvalidInput("satisfaction", N_("Satisfaction is satisfied, fair or dissatisfied.")) from exc
    case = await get_case(session, actor, case_id, for_update=True)
    if case.status == CaseStatus.OPEN.value:
        raise Conflict(N_("There is no answer to rate yet."))
    if case.status == CaseStatus.CLOSED.value:
        if case.close_reason:
            raise Conflict(
                N_("The county closed this case with a written reason; raise a new case if something new came up.")
            )
        if case.closed_at is not None and as_utc(case.closed_at) + REOPEN_WINDOW < as_utc(moment):
            raise Conflict(
                N_("This case closed more than 30 days ago: raise a new case about it."),
                details={"previous_case_id": case.id},
            )
    new_solved = solved if solved is not None else case.solved
    new_satisfaction = satisfaction if satisfaction is not None else case.satisfaction
    before = {"solved": case.solved, "satisfaction": case.satisfaction}
    after = {"solved": new_solved, "satisfaction": new_satisfaction}
    if after == before:
        return case
    changed = any(before[k] is not None and before[k] != after[k] for k in before)
    case.solved, case.satisfaction, case.rated_at = new_solved, new_satisfaction, moment
    kind = EventKind.RATING_CHANGED if changed else EventKind.RATED
    await record_event(session, case, kind, actor, moment, before=before, after=after)
    if case.rating_complete:
        await _settle_rating(session, case, actor, moment)
    return case


async def _settle_rating(session: AsyncSession, case: Case, actor: Principal | None, moment: datetime) -> None:
    case.last_solved, case.last_satisfaction = case.solved, case.satisfaction
    good = bool(case.solved) and case.satisfaction != Satisfaction.DISSATISFIED.value
    if good:
        case.unrated = False
        if case.status != CaseStatus.CLOSED.value:
            before = clock_view(case)
            case.status = CaseStatus.CLOSED.value
            case.closed_at = moment
            await record_event(session, case, EventKind.CLOSED, actor, moment, before=before, after=clock_view(case))
            await notices.plan_deadline_reminders(session, case, moment)
        return
    await _reopen_up(session, case, actor, moment)


async def _reopen_up(session: AsyncSession, case: Case, actor: Principal | None, moment: datetime) -> None:
    """Not solved or not satisfied: the case goes one level up (at the county it stays there), and from
    now on only that level or a higher one resolves it."""
    if case.status == CaseStatus.CLOSED.value and case.subject_key is not None:
        newer = (
            await session.execute(
                select(Case.id).where(
                    Case.household_id == case.household_id,
                    Case.subject_key == case.subject_key,
                    Case.status != CaseStatus.CLOSED.value,
                    Case.id != case.id,
                )
            )
        ).scalar_one_or_none()
        if newer is not None:
            raise Conflict(N_("Case #%(id)s about the same thing is open: add to that one."), id=newer)
    before = clock_view(case)
    up = Level(case.level).up()
    case.level = up.value
    case.floor_level = max(Level(case.floor_level), up, key=lambda level: level.rank).value
    case.status = CaseStatus.OPEN.value
    case.answered_at = None
    case.closed_at = None
    case.unrated = False
    case.outcome = None
    case.paused_since = None
    case.reopen_count += 1
    rating = {"solved": case.solved, "satisfaction": case.satisfaction}
    case.solved = None
    case.satisfaction = None
    _start_clocks(case, moment)
    await record_event(
        session, case, EventKind.REOPENED, actor, moment, before={**before, **rating}, after=clock_view(case)
    )
    await notices.moved_up(session, case, because_rating=True)
    await notices.plan_deadline_reminders(session, case, moment)


async def close_by_county(
    session: AsyncSession, actor: Principal, case_id: int, reason: str, *, now: datetime | None = None
) -> Case:
    """The county ends a case the villager is still not satisfied with, with a written reason (it counts as
    not satisfied, publicly)."""
    moment = now or utcnow()
    if handler_level(actor) is not Level.COUNTY:
        raise PermissionDenied(N_("Only the county closes a case without the villager's satisfaction."))
    case = await get_case(session, actor, case_id, for_update=True)
    if case.level != Level.COUNTY.value:
        raise Conflict(N_("Only a case that reached the county can be closed this way."))
    if case.status == CaseStatus.CLOSED.value:
        raise Conflict(N_("This case is already closed."))
    written = _clean_text(reason, "reason")
    if len(written) < REASON_MIN:
        raise InvalidInput("reason", N_("Write the reason in at least %(min)d characters."), min=REASON_MIN)
    before = clock_view(case)
    case.status = CaseStatus.CLOSED.value
    case.closed_at = moment
    case.close_reason = written
    case.paused_since = None
    await record_event(
        session, case, EventKind.CLOSED_BY_COUNTY, actor, moment, text=written, before=before, after=clock_view(case)
    )
    await notices.villager_told(session, case, N_("Case #%(id)s was closed by the county, with its reason"))
    await notices.plan_deadline_reminders(session, case, moment)
    return case


# --- the clock jobs ---------------------------------------------------------------------------------------


async def escalate_overdue(session: AsyncSession, now: datetime) -> int:
    """Lift every case whose level let a deadline pass (no answer by ``respond_by``, or not resolved by
    ``resolve_by``) one level up; the village stays responsible. Paused cases wait; the county is the top."""
    overdue = await session.execute(
        select(Case)
        .where(
            Case.status == CaseStatus.OPEN.value,
            Case.paused_since.is_(None),
            Case.level != Level.COUNTY.value,
            or_(and_(Case.responded_at.is_(None), Case.respond_by <= now), Case.resolve_by <= now),
        )
        .order_by(Case.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    lifted = 0
    for case in overdue.scalars():
        missed = "response" if case.responded_at is None and as_utc(case.respond_by) <= as_utc(now) else "resolution"
        before = clock_view(case)
        if case.first_responded_at is None:
            case.responded_in_time = False  # whoever answers first now, the first deadline was missed
        case.level = Level(case.level).up().value
        _start_clocks(case, now)
        await record_event(
            session, case, EventKind.ESCALATED, None, now, before=before, after={**clock_view(case), "missed": missed}
        )
        await notices.moved_up(session, case, because_rating=False)
        await notices.plan_deadline_reminders(session, case, now)
        lifted += 1
    return lifted


async def mark_unrated(session: AsyncSession, now: datetime) -> int:
    """Answers the villager did not rate within 7 days become 未评价 (never counted as satisfied); the case
    stays answered, closed only when the villager is satisfied. A half-given rating that already says no
    (否, or 不满意) reopens the case one level up instead."""
    due = await session.execute(
        select(Case)
        .where(
            Case.status == CaseStatus.ANSWERED.value,
            Case.unrated.is_(False),
            Case.answered_at <= now - RATING_WINDOW,
        )
        .order_by(Case.id)
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    marked = 0
    for case in due.scalars():
        if case.solved is False or case.satisfaction == Satisfaction.DISSATISFIED.value:
            await _reopen_up(session, case, None, now)
            continue
        case.unrated = True
        await record_event(session, case, EventKind.UNRATED, None, now, after=clock_view(case))
        marked += 1
    return marked
