"""Who hears about a case, and what they read: every step goes to the people it concerns through the
inbox, with kinds an SMS channel maps to its approved templates.

- ``case_new``: a new case → the handlers of the village;
- ``case_update``: answered → the villager; moved up (a missed deadline, a bad rating) → the new level's
  handlers and the village; the villager added something → the handlers of the current level;
- ``case_deadline``: a deadline tomorrow → the handlers of the current level (a reminder, planned here and
  delivered by the notifications outbox);
- by SMS beside the inbox (shop.sms.notices): ``case_new`` to the handlers a case is new to (raised, or
  arrived at their level), ``case_update`` to the villager (answered, passed up, closed), ``case_deadline``
  to the handlers with the deadline reminder;
- ``case_correction``: the books of a lot or a sale were corrected → the other households whose money
  moved (inbox only).

Each text is a short msgid with a case number, a household code, a level or a date: short enough for
an SMS, and never a buyer's name, phone or address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import Role, User
from shop.cases.models import LEVEL_LABELS, TOPIC_LABELS, Case, CaseStatus, Level, Topic
from shop.errors import N_
from shop.notifications.models import RecipientKind
from shop.notifications.services import PlannedReminder, notify_now, sync_reminders
from shop.sms import notices as sms_notices
from shop.timeutil import to_local
from shop.villages.models import Household, Village
from shop.workdays import deadline_day, reminder_before

NEW = "case_new"
UPDATE = "case_update"
DEADLINE = "case_deadline"
CORRECTION = "case_correction"


def villager_link(case: Case) -> str:
    return f"/household/cases/{case.id}"


def handler_link(case: Case) -> str:
    return f"/cases/{case.id}"


def _by(deadline: Any) -> str:
    return deadline_day(deadline).strftime("%m-%d")


async def handlers(session: AsyncSession, village_id: int, level: Level) -> list[int]:
    """The users who answer a case of ``village_id`` at ``level``: the village's secretaries, the
    township's officers, or the county's supervisors (the county admins when it has none)."""
    village = await session.get(Village, village_id)
    if village is None:
        return []
    active = User.active.is_(True)
    if level is Level.VILLAGE:
        where = [User.role == Role.SECRETARY.value, User.village_id == village_id]
    elif level is Level.TOWNSHIP:
        where = [User.role == Role.TOWNSHIP.value, User.township == village.township, User.county == village.county]
    else:
        where = [User.role == Role.COUNTY.value, User.county == village.county]
    found = list((await session.execute(select(User.id).where(active, *where).order_by(User.id))).scalars())
    if not found and level is Level.COUNTY:
        admins = select(User.id).where(active, User.role == Role.ADMIN.value).order_by(User.id)
        found = list((await session.execute(admins)).scalars())
    return found


async def _household_code(session: AsyncSession, household_id: int) -> str:
    return str((await session.execute(select(Household.code).where(Household.id == household_id))).scalar_one())


async def _to_users(
    session: AsyncSession, user_ids: list[int], kind: str, title: str, body: str, params: dict[str, Any], link: str
) -> None:
    for user_id in sorted(set(user_ids)):
        await notify_now(session, RecipientKind.USER, user_id, kind, title, body=body, params=params, link=link)


async def case_raised(session: AsyncSession, case: Case) -> None:
    code, by = await _household_code(session, case.household_id), _by(case.respond_by)
    params = {"id": case.id, "household": code, "topic": TOPIC_LABELS[Topic(case.topic)], "by": by}
    village_handlers = await handlers(session, case.village_id, Level.VILLAGE)
    await sms_notices.case_new(session, case, village_handlers, code, by)
    await _to_users(
        session,
        village_handlers,
        NEW,
        N_("New case #%(id)s from %(household)s: %(topic)s"),
        N_("Please answer by %(by)s."),
        params,
        handler_link(case),
    )


async def villager_told(session: AsyncSession, case: Case, title: str, body: str = "") -> None:
    """The villager hears that their case moved (answered, needs them, closed by the county)."""
    await sms_notices.case_update(session, case)
    await notify_now(
        session,
        RecipientKind.HOUSEHOLD,
        case.household_id,
        UPDATE,
        title,
        body=body,
        params={"id": case.id},
        link=villager_link(case),
    )


async def villager_added(session: AsyncSession, case: Case) -> None:
    await _to_users(
        session,
        await handlers(session, case.village_id, Level(case.level)),
        UPDATE,
        N_("Case #%(id)s: the villager added information"),
        "",
        {"id": case.id},
        handler_link(case),
    )


async def moved_up(session: AsyncSession, case: Case, *, because_rating: bool) -> None:
    """The new level hears it is theirs now; the village hears where its case went."""
    level = Level(case.level)
    params = {"id": case.id, "level": LEVEL_LABELS[level], "by": _by(case.respond_by)}
    title = (
        N_("Case #%(id)s reopened at the %(level)s: the villager was not satisfied")
        if because_rating
        else N_("Case #%(id)s moved up to the %(level)s: not answered in time")
    )
    new_level = await handlers(session, case.village_id, level)
    code = await _household_code(session, case.household_id)
    await sms_notices.case_new(session, case, new_level, code, _by(case.respond_by))
    await _to_users(session, new_level, UPDATE, title, N_("Please answer by %(by)s."), params, handler_link(case))
    village = [u for u in await handlers(session, case.village_id, Level.VILLAGE) if u not in new_level]
    await _to_users(session, village, UPDATE, title, "", params, handler_link(case))
    if because_rating:
        await villager_told(session, case, N_("Case #%(id)s was passed up: it is not finished until you are satisfied"))
    else:
        await sms_notices.case_update(session, case)  # by SMS only: the inbox already shows where it is


async def household_money_moved(session: AsyncSession, household_id: int, case: Case, amount_fen: int) -> None:
    """Another household of a corrected lot or sale: what moved and why (no one else's details)."""
    from shop.money import format_fen

    await notify_now(
        session,
        RecipientKind.HOUSEHOLD,
        household_id,
        CORRECTION,
        N_("Your share was recalculated: %(amount)s"),
        body=N_("A weigh-in or a price in the village's records was corrected, and every share split again."),
        params={"amount": format_fen(amount_fen)},
        link="/household",
    )


async def plan_deadline_reminders(session: AsyncSession, case: Case, now: datetime) -> None:
    """The handlers of the current level are reminded the working morning before the next deadline:
    the response deadline until someone answers, then the resolve deadline. Nothing while the clock is
    paused or the case is with the villager."""
    planned: list[PlannedReminder] = []
    if case.status == CaseStatus.OPEN.value and case.paused_since is None:
        deadline = case.respond_by if case.responded_at is None else case.resolve_by
        params = {"id": case.id, "by": _by(deadline), "time": to_local(deadline).strftime("%H:%M")}
        for user_id in await handlers(session, case.village_id, Level(case.level)):
            planned.append(
                PlannedReminder(
                    kind=DEADLINE,
                    recipient_kind=RecipientKind.USER,
                    recipient_id=user_id,
                    due_at=reminder_before(deadline),
                    title=N_("Case #%(id)s is due tomorrow (%(by)s)"),
                    params=params,
                    link=handler_link(case),
                )
            )
    version = f"{case.level}:{case.status}:{case.responded_at is None}:{case.respond_by}:{case.resolve_by}"
    await sync_reminders(session, "case", case.id, planned, version=version[:120], now=now)
