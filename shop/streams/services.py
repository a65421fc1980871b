"""Livestream rules: guests, planning with a lineup, double-booking, the run-of-show, going live,
pinning products, and the reminders each stream should send."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from advanced_alchemy.repository import OrderingPair, SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shop import i18n
from shop.accounts.models import User
from shop.accounts.principal import Principal
from shop.calendar_feed import CalendarEvent, CalendarSource
from shop.catalogue.models import Contribution, Lot, Product
from shop.channels import platform_label
from shop.db import rows_matched
from shop.errors import N_, Conflict, InvalidInput, Label, NotFound
from shop.notifications.models import RecipientKind
from shop.notifications.services import PlannedReminder, sync_reminders, withdraw_reminders
from shop.paging import Paging
from shop.streams.models import (
    STATUS_LABELS,
    Guest,
    LineupItem,
    Platform,
    Stream,
    StreamGuest,
    StreamStatus,
)
from shop.text import clean_text
from shop.timeutil import SHANGHAI, to_local, utcnow
from shop.villages.services import clean_phone

MAX_STREAM_HOURS = 12
MAX_LINEUP = 30
# Streams are planned in this century; a year at the calendar's edge would overflow when it is moved to
# UTC or repeated weekly, so it is refused by its year before any arithmetic touches it.
FIRST_YEAR, LAST_YEAR = 2000, 2099


def check_stream_years(starts_at: datetime, ends_at: datetime) -> None:
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise InvalidInput(
                name, N_("Choose a time between the years %(first)d and %(last)d."), first=FIRST_YEAR, last=LAST_YEAR
            )


MAX_SERIES = 12
HOUSEHOLD_REMINDER_HOUR = 19  # the evening before, when villagers look at their phones


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: a stream ending at 20:00 and one starting at 20:00 do not clash."""
    return a_start < b_end and b_start < a_end


@dataclass(frozen=True)
class LineupEntry:
    product_id: int
    live_price_fen: int | None = None
    talking_points: str = ""
    planned_minutes: int = 8
    quantity_cap: int | None = None


@dataclass(frozen=True)
class GuestSlot:
    guest_id: int
    planned_minutes: int = 10
    topic: str = ""


@dataclass
class StreamPlan:
    title: str
    platform: str
    starts_at: datetime
    ends_at: datetime
    host_user_id: int | None = None
    practice: bool = False
    notes: str = ""
    guests: list[GuestSlot] = field(default_factory=list)
    lineup: list[LineupEntry] = field(default_factory=list)


@dataclass(frozen=True)
class ShowBlock:
    """One block of the run-of-show (直播脚本) with its clock times."""

    kind: str  # opening, guest, product, closing
    starts_at: datetime
    minutes: int
    item: LineupItem | None = None
    guest: StreamGuest | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.minutes)


def run_of_show(stream: Stream) -> list[ShowBlock]:
    """Opening, the guests' segments, each product's block in lineup order, closing — with clock times."""
    blocks: list[ShowBlock] = []
    clock = stream.starts_at
    blocks.append(ShowBlock("opening", clock, stream.opening_minutes))
    clock += timedelta(minutes=stream.opening_minutes)
    for slot in stream.guests:
        blocks.append(ShowBlock("guest", clock, slot.planned_minutes, guest=slot))
        clock += timedelta(minutes=slot.planned_minutes)
    for item in stream.lineup:
        blocks.append(ShowBlock("product", clock, item.planned_minutes, item=item))
        clock += timedelta(minutes=item.planned_minutes)
    blocks.append(ShowBlock("closing", clock, stream.closing_minutes))
    return blocks


def current_block(stream: Stream, now: datetime) -> ShowBlock | None:
    """Where a live stream stands in its plan by the clock (measured from when it went live)."""
    if stream.status != StreamStatus.LIVE.value:
        return None
    shift = (stream.went_live_at or stream.starts_at) - stream.starts_at
    for block in run_of_show(stream):
        if block.starts_at + shift <= now < block.ends_at + shift:
            return block
    return None


class GuestService(SQLAlchemyAsyncRepositoryService[Guest, SQLAlchemyAsyncRepository[Guest]]):
    class Repo(SQLAlchemyAsyncRepository[Guest]):
        model_type = Guest

    repository_type = Repo

    async def create_guest(
        self,
        actor: Principal,
        *,
        name: str,
        title: str = "",
        craft: str = "",
        bio: str = "",
        phone: str = "",
        village_id: int | None = None,
    ) -> Guest:
        actor.require_staff()
        guest = Guest(
            village_id=actor.target_village(village_id),
            name=clean_text(name, "name", max_len=50, required=True),
            title=clean_text(title, "title", max_len=100),
            craft=clean_text(craft, "craft", max_len=50),
            bio=clean_text(bio, "bio", max_len=2000),
            phone=clean_phone(phone),
        )
        return await self.repository.add(guest)

    async def update_guest(self, actor: Principal, guest_id: int, **changes: str) -> Guest:
        actor.require_staff()
        guest = await self.get_for(actor, guest_id)
        limits = {"name": 50, "title": 100, "craft": 50, "bio": 2000}
        for key, value in changes.items():
            if key == "phone":
                guest.phone = clean_phone(value)
            elif key in limits:
                setattr(guest, key, clean_text(value, key, max_len=limits[key], required=key == "name"))
        await self.repository.session.flush()
        return guest

    async def set_photo(self, actor: Principal, guest_id: int, display: str, thumb: str) -> Guest:
        guest = await self.get_for(actor, guest_id)
        actor.require_staff()
        guest.photo_display, guest.photo_thumb = display, thumb
        await self.repository.session.flush()
        return guest

    async def get_for(self, actor: Principal, guest_id: int) -> Guest:
        guest = await self.repository.get_one_or_none(id=guest_id)
        if guest is None or not actor.can_reach_village(guest.village_id) or not actor.is_staff:
            raise NotFound()
        return guest

    async def list_for(self, actor: Principal, paging: Paging) -> tuple[Sequence[Guest], int]:
        actor.require_staff()
        scope = actor.village_filter()
        filters = [Guest.village_id == scope] if scope is not None else []
        return await self.get_many_and_count(*filters, paging.filter, order_by=[(Guest.name, False)])


@dataclass(frozen=True)
class PlanChoices:
    products: list[Product]
    guests: list[Guest]
    hosts: list[User]
    past_streams: list[Stream]


class StreamService(SQLAlchemyAsyncRepositoryService[Stream, SQLAlchemyAsyncRepository[Stream]]):
    class Repo(SQLAlchemyAsyncRepository[Stream]):
        model_type = Stream

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        session = self.repository.session
        assert isinstance(session, AsyncSession)  # services are built on a request's or a job's AsyncSession
        return session

    # --- reading ---------------------------------------------------------------------------------

    async def plan_choices(self, village_id: int | None) -> PlanChoices:
        """What the plan form offers in the village: its products on sale, its guests, who may host (its
        secretaries and trainees) and its last 20 streams to copy from."""
        session = self.session
        products = await session.execute(
            select(Product).where(Product.village_id == village_id, Product.active.is_(True)).order_by(Product.id)
        )
        guests = await session.execute(
            select(Guest).where(Guest.village_id == village_id, Guest.active.is_(True)).order_by(Guest.name)
        )
        hosts = await session.execute(
            select(User)
            .where(User.village_id == village_id, User.active.is_(True), User.role.in_(["secretary", "trainee"]))
            .order_by(User.role, User.id)
        )
        past = await session.execute(
            select(Stream).where(Stream.village_id == village_id).order_by(Stream.starts_at.desc()).limit(20)
        )
        return PlanChoices(
            list(products.scalars()), list(guests.scalars()), list(hosts.scalars()), list(past.scalars())
        )

    async def get_for(self, actor: Principal, stream_id: int) -> Stream:
        """Staff of the village see its streams; a trainee sees the streams they host."""
        stream = await self.repository.get_one_or_none(id=stream_id)
        if stream is None or not actor.can_reach_village(stream.village_id) or actor.kind != "user":
            raise NotFound()
        if not actor.is_staff and stream.host_user_id != actor.id:
            raise NotFound()
        return stream

    async def list_for(
        self,
        actor: Principal,
        paging: Paging,
        *,
        status: str | None = None,
        upcoming: bool | None = None,
        now: datetime | None = None,
    ) -> tuple[Sequence[Stream], int]:
        if actor.kind != "user":
            raise NotFound()
        filters: list[ColumnElement[bool]] = []
        scope = actor.village_filter()
        if scope is not None:
            filters.append(Stream.village_id == scope)
        if not actor.is_staff:
            filters.append(Stream.host_user_id == actor.id)
        if status:
            filters.append(Stream.status == status)
        moment = now or utcnow()
        if upcoming is True:
            filters.append(Stream.ends_at >= moment)
            order: list[OrderingPair] = [(Stream.starts_at, False)]
        elif upcoming is False:
            filters.append(Stream.ends_at < moment)
            order = [(Stream.starts_at, True)]
        else:
            order = [(Stream.starts_at, True)]
        return await self.get_many_and_count(*filters, paging.filter, order_by=order)

    # --- planning --------------------------------------------------------------------------------

    async def _check_plan(self, actor: Principal, village_id: int, plan: StreamPlan, *, ignore_id: int | None) -> int:
        title = clean_text(plan.title, "title", max_len=100, required=True)
        plan.title = title
        plan.notes = clean_text(plan.notes, "notes", max_len=4000)
        try:
            plan.platform = Platform(plan.platform).value
        except ValueError as exc:
            raise InvalidInput(
                "platform", N_("The platform must be douyin, kuaishou, weixin, taobao or other.")
            ) from exc
        if plan.starts_at.tzinfo is None or plan.ends_at.tzinfo is None:
            raise InvalidInput("starts_at", N_("Times need a time zone (Beijing time is +08:00)."))
        check_stream_years(plan.starts_at, plan.ends_at)
        if plan.ends_at <= plan.starts_at:
            raise InvalidInput("ends_at", N_("The stream must end after it starts."))
        if plan.ends_at - plan.starts_at > timedelta(hours=MAX_STREAM_HOURS):
            raise InvalidInput("ends_at", N_("A stream lasts at most %(hours)d hours."), hours=MAX_STREAM_HOURS)
        host_id = plan.host_user_id or actor.user_id
        host = await self.session.get(User, host_id) if host_id else None
        if host is None or host.village_id != village_id or not host.active or host.role == "admin":
            raise InvalidInput("host_user_id", N_("The host must be a secretary or trainee of this village."))
        plan.host_user_id = host.id
        if len(plan.lineup) > MAX_LINEUP:
            raise InvalidInput("lineup", N_("A lineup holds at most %(max)d products."), max=MAX_LINEUP)
        product_ids = [entry.product_id for entry in plan.lineup]
        if len(set(product_ids)) != len(product_ids):
            raise InvalidInput("lineup", N_("A product appears twice in the lineup."))
        if product_ids:
            rows = await self.session.execute(
                select(Product.id).where(Product.id.in_(product_ids), Product.village_id == village_id)
            )
            if len(set(rows.scalars())) != len(set(product_ids)):
                raise InvalidInput("lineup", N_("The lineup names a product that is not this village's."))
        for entry in plan.lineup:
            if entry.live_price_fen is not None and entry.live_price_fen < 0:
                raise InvalidInput("lineup", N_("A live price cannot be negative."))
            if not 1 <= entry.planned_minutes <= 240:
                raise InvalidInput("lineup", N_("Planned minutes must be between 1 and 240."))
            if entry.quantity_cap is not None and entry.quantity_cap < 1:
                raise InvalidInput("lineup", N_("A quantity cap must be at least 1."))
        guest_ids = [slot.guest_id for slot in plan.guests]
        if len(set(guest_ids)) != len(guest_ids):
            raise InvalidInput("guest_ids", N_("A guest is listed twice."))
        if guest_ids:
            rows = await self.session.execute(
                select(Guest.id).where(Guest.id.in_(guest_ids), Guest.village_id == village_id)
            )
            if len(set(rows.scalars())) != len(set(guest_ids)):
                raise InvalidInput("guest_ids", N_("The guest list names someone not in this village's guest book."))
        await self._refuse_double_booking(plan, village_id, ignore_id=ignore_id)
        return host.id

    async def _refuse_double_booking(self, plan: StreamPlan, village_id: int, *, ignore_id: int | None) -> None:
        """The same host or guest in two overlapping (not cancelled) streams is a clash: 409 naming it."""
        active = Stream.status.in_([StreamStatus.PLANNED.value, StreamStatus.LIVE.value])
        overlapping = and_(Stream.starts_at < plan.ends_at, plan.starts_at < Stream.ends_at, active)
        if ignore_id is not None:
            overlapping = and_(overlapping, Stream.id != ignore_id)
        host_clash = (
            await self.session.execute(
                select(Stream).where(overlapping, Stream.host_user_id == plan.host_user_id).limit(1)
            )
        ).scalar_one_or_none()
        if host_clash is not None:
            raise Conflict(
                N_("The host is already on “%(title)s” (%(when)s), which overlaps this time."),
                field="starts_at",
                title=host_clash.title,
                when=to_local(host_clash.starts_at).strftime("%Y-%m-%d %H:%M"),
                details={"clashing_stream_id": host_clash.id},
            )
        guest_ids = [slot.guest_id for slot in plan.guests]
        if guest_ids:
            row = (
                await self.session.execute(
                    select(Stream, Guest.name)
                    .join(StreamGuest, StreamGuest.stream_id == Stream.id)
                    .join(Guest, Guest.id == StreamGuest.guest_id)
                    .where(overlapping, StreamGuest.guest_id.in_(guest_ids))
                    .limit(1)
                )
            ).first()
            if row is not None:
                clash, guest_name = row
                raise Conflict(
                    N_("%(guest)s is already a guest on “%(title)s” (%(when)s), which overlaps this time."),
                    field="guest_ids",
                    guest=guest_name,
                    title=clash.title,
                    when=to_local(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
                    details={"clashing_stream_id": clash.id},
                )

    def _apply(self, stream: Stream, plan: StreamPlan) -> None:
        stream.title, stream.platform, stream.notes = plan.title, plan.platform, plan.notes
        stream.starts_at, stream.ends_at = plan.starts_at, plan.ends_at
        assert plan.host_user_id is not None  # _check_plan set it (the host named, or the actor)
        stream.host_user_id, stream.practice = plan.host_user_id, plan.practice
        stream.guests = [
            StreamGuest(
                guest_id=slot.guest_id, position=i, planned_minutes=slot.planned_minutes, topic=slot.topic[:200]
            )
            for i, slot in enumerate(plan.guests)
        ]
        stream.lineup = [
            LineupItem(
                product_id=entry.product_id,
                position=i,
                live_price_fen=entry.live_price_fen,
                talking_points=entry.talking_points[:2000],
                planned_minutes=entry.planned_minutes,
                quantity_cap=entry.quantity_cap,
            )
            for i, entry in enumerate(plan.lineup, start=1)
        ]
        stream.pinned_item_id = None
        stream.revision += 1

    async def plan_stream(self, actor: Principal, plan: StreamPlan, *, village_id: int | None = None) -> Stream:
        actor.require_staff()
        target = actor.target_village(village_id)
        await self._check_plan(actor, target, plan, ignore_id=None)
        stream = Stream(
            village_id=target,
            title=plan.title,
            platform=plan.platform,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            host_user_id=plan.host_user_id,
            revision=0,
        )
        self._apply(stream, plan)
        self.session.add(stream)
        await self.session.flush()
        await self.session.refresh(stream)
        await self.plan_reminders(stream)
        return stream

    async def plan_series(
        self, actor: Principal, plan: StreamPlan, weeks: int, *, village_id: int | None = None
    ) -> list[Stream]:
        """A weekly market-day stream: the same plan every 7 days, all or none (a clash refuses them all)."""
        if not 2 <= weeks <= MAX_SERIES:
            raise InvalidInput("weeks", N_("A series has between 2 and %(max)d weeks."), max=MAX_SERIES)
        check_stream_years(plan.starts_at, plan.ends_at)
        series_id = secrets.token_hex(8)
        created: list[Stream] = []
        for week in range(weeks):
            shift = timedelta(weeks=week)
            occurrence = StreamPlan(
                title=plan.title,
                platform=plan.platform,
                starts_at=_same_wall_clock(plan.starts_at, shift),
                ends_at=_same_wall_clock(plan.ends_at, shift),
                host_user_id=plan.host_user_id,
                practice=plan.practice,
                notes=plan.notes,
                guests=list(plan.guests),
                lineup=list(plan.lineup),
            )
            stream = await self.plan_stream(actor, occurrence, village_id=village_id)
            stream.series_id = series_id
            created.append(stream)
        await self.session.flush()
        return created

    async def replan(self, actor: Principal, stream_id: int, plan: StreamPlan) -> Stream:
        actor.require_staff()
        stream = await self.get_for(actor, stream_id)
        if stream.status in (StreamStatus.ENDED.value, StreamStatus.CANCELLED.value):
            raise Conflict(N_("An ended or cancelled stream cannot be changed."))
        await self._check_plan(actor, stream.village_id, plan, ignore_id=stream.id)
        # The new guests and lineup take the old rows' positions (unique per stream): the old rows must be
        # gone before the new ones are inserted, or every edit of a planned lineup clashes with itself.
        stream.pinned_item_id = None
        stream.guests, stream.lineup = [], []
        await self.session.flush()
        self._apply(stream, plan)
        await self.session.flush()
        await self.session.refresh(stream)
        await self.plan_reminders(stream)
        return stream

    @staticmethod
    def plan_of(stream: Stream) -> StreamPlan:
        return StreamPlan(
            title=stream.title,
            platform=stream.platform,
            starts_at=stream.starts_at,
            ends_at=stream.ends_at,
            host_user_id=stream.host_user_id,
            practice=stream.practice,
            notes=stream.notes,
            guests=[GuestSlot(g.guest_id, g.planned_minutes, g.topic) for g in stream.guests],
            lineup=[
                LineupEntry(i.product_id, i.live_price_fen, i.talking_points, i.planned_minutes, i.quantity_cap)
                for i in stream.lineup
            ],
        )

    # --- running ---------------------------------------------------------------------------------

    async def set_status(self, actor: Principal, stream_id: int, status: str, *, now: datetime | None = None) -> Stream:
        if status == StreamStatus.CANCELLED.value:
            actor.require_staff()
        stream = await self.get_for(actor, stream_id)
        return await self.move_to(stream, status, now=now)

    async def move_to(self, stream: Stream, status: str, *, now: datetime | None = None) -> Stream:
        moment = now or utcnow()
        allowed = {
            StreamStatus.PLANNED.value: {StreamStatus.LIVE.value, StreamStatus.CANCELLED.value},
            StreamStatus.LIVE.value: {StreamStatus.ENDED.value},
        }
        if status == stream.status:
            return stream
        if status not in allowed.get(stream.status, set()):
            raise Conflict(
                N_("A stream that is %(current)s cannot become %(wanted)s."),
                current=Label(STATUS_LABELS.get(stream.status, stream.status)),
                wanted=Label(STATUS_LABELS.get(status, status)),
                details={"current": stream.status, "wanted": status},
            )
        # A conditional update: two taps (or a tap and the scheduler) cannot both move it.
        values: dict[str, Any] = {"status": status, "revision": Stream.revision + 1}
        if status == StreamStatus.LIVE.value:
            values["went_live_at"] = moment
        if status == StreamStatus.ENDED.value:
            values["ended_at"] = moment
        result = await self.session.execute(
            update(Stream).where(Stream.id == stream.id, Stream.status == stream.status).values(**values)
        )
        await self.session.refresh(stream)
        if not rows_matched(result) and stream.status != status:
            raise Conflict(N_("The stream changed meanwhile; reload and try again."))
        if status == StreamStatus.LIVE.value and stream.pinned_item_id is None and stream.lineup:
            stream.pinned_item_id = stream.lineup[0].id
        if status == StreamStatus.CANCELLED.value:
            await withdraw_reminders(self.session, "stream", stream.id)
        await self.session.flush()
        return stream

    async def pin(self, actor: Principal, stream_id: int, item_id: int | None = None, *, step: int = 0) -> Stream:
        """Pin a lineup item, or move the pin ``step`` places (1 = the next product)."""
        stream = await self.get_for(actor, stream_id)
        if stream.status in (StreamStatus.ENDED.value, StreamStatus.CANCELLED.value):
            raise Conflict(N_("The stream is over; nothing can be pinned."))
        if not stream.lineup:
            raise Conflict(N_("The stream has no lineup to pin."))
        ids = [item.id for item in stream.lineup]
        if item_id is None:
            current = ids.index(stream.pinned_item_id) if stream.pinned_item_id in ids else -1
            item_id = ids[max(0, min(len(ids) - 1, current + step))]
        if item_id not in ids:
            raise InvalidInput("item_id", N_("That product is not in this stream's lineup."))
        stream.pinned_item_id = item_id
        stream.revision += 1
        await self.session.flush()
        return stream

    async def advance_by_clock(self, now: datetime) -> tuple[int, int]:
        """Streams go live at their start and end at their end when nobody tapped (the scheduler's job)."""
        started = ended = 0
        due_live = await self.session.execute(
            select(Stream).where(
                Stream.status == StreamStatus.PLANNED.value, Stream.starts_at <= now, Stream.ends_at > now
            )
        )
        for stream in due_live.scalars():
            await self.move_to(stream, StreamStatus.LIVE.value, now=now)
            started += 1
        due_end = await self.session.execute(
            select(Stream).where(
                or_(Stream.status == StreamStatus.LIVE.value, Stream.status == StreamStatus.PLANNED.value),
                Stream.ends_at <= now,
            )
        )
        for stream in due_end.scalars():
            if stream.status == StreamStatus.PLANNED.value:
                await self.move_to(stream, StreamStatus.LIVE.value, now=stream.starts_at)
            await self.move_to(stream, StreamStatus.ENDED.value, now=now)
            ended += 1
        return started, ended

    # --- reminders -------------------------------------------------------------------------------

    async def plan_reminders(self, stream: Stream) -> None:
        """To host and guests 24 h and 1 h before, to the host 10 minutes before, and to the households
        whose goods are in the lineup the evening before. Rescheduling moves unsent ones."""
        if stream.status == StreamStatus.CANCELLED.value:
            await withdraw_reminders(self.session, "stream", stream.id)
            return
        local = to_local(stream.starts_at)
        params = {"title": stream.title, "time": local.strftime("%m-%d %H:%M")}
        link = f"/streams/{stream.id}"
        plans: list[PlannedReminder] = []
        for kind, before in (("stream.24h", timedelta(hours=24)), ("stream.1h", timedelta(hours=1))):
            title = N_("Tomorrow you go live: %(title)s") if kind == "stream.24h" else N_("In one hour: %(title)s")
            plans.append(
                PlannedReminder(
                    kind,
                    RecipientKind.USER,
                    stream.host_user_id,
                    stream.starts_at - before,
                    title,
                    N_("Starts at %(time)s (Beijing time)."),
                    params,
                    link,
                )
            )
            for slot in stream.guests:
                plans.append(
                    PlannedReminder(
                        kind,
                        RecipientKind.GUEST,
                        slot.guest_id,
                        stream.starts_at - before,
                        title,
                        N_("Starts at %(time)s (Beijing time)."),
                        params,
                        "",
                    )
                )
        plans.append(
            PlannedReminder(
                "stream.10m",
                RecipientKind.USER,
                stream.host_user_id,
                stream.starts_at - timedelta(minutes=10),
                N_("Ten minutes to go: %(title)s"),
                N_("Open the live board and check the first product."),
                params,
                f"/streams/{stream.id}/live",
            )
        )
        evening_before = datetime.combine(local.date() - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
        evening_before = evening_before.replace(hour=HOUSEHOLD_REMINDER_HOUR)
        for household_id in await self._households_in_lineup(stream):
            plans.append(
                PlannedReminder(
                    "stream.households",
                    RecipientKind.HOUSEHOLD,
                    household_id,
                    evening_before,
                    N_("Your goods are in tomorrow's livestream"),
                    N_("%(title)s at %(time)s. Watch it and tell your friends."),
                    params,
                    "",
                )
            )
        await sync_reminders(self.session, "stream", stream.id, plans, version=stream.starts_at.isoformat())

    async def _households_in_lineup(self, stream: Stream) -> list[int]:
        product_ids = [item.product_id for item in stream.lineup]
        if not product_ids:
            return []
        rows = await self.session.execute(
            select(Contribution.household_id)
            .join(Lot, Lot.id == Contribution.lot_id)
            .where(Lot.product_id.in_(product_ids), Lot.remaining > 0)
            .distinct()
        )
        return sorted(rows.scalars())


def _same_wall_clock(moment: datetime, shift: timedelta) -> datetime:
    """Beijing has no daylight saving, but weeks are added to the local wall clock all the same."""
    return (to_local(moment) + shift).astimezone(moment.tzinfo)


# --- calendar feeds ------------------------------------------------------------------------------------------


# How far back a feed reaches: a phone keeps what it already has, and a long feed is slow to fetch on 4G.
CALENDAR_DAYS_BACK = 60


async def calendar_events(
    session: AsyncSession, secret: str, *, base_url: str, sources: Sequence[CalendarSource] = ()
) -> tuple[User, list[CalendarEvent]]:
    """The events of the user whose feed ``secret`` names: the streams they host (a secretary: every stream
    of the village) from 60 days back, then each other domain's (``sources``). An unknown or inactive
    user's feed is not there."""
    user = (await session.execute(select(User).where(User.calendar_secret == secret))).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound()
    visible = Stream.host_user_id == user.id
    if user.role == "secretary":
        visible = or_(visible, Stream.village_id == user.village_id)
    since = utcnow() - timedelta(days=CALENDAR_DAYS_BACK)
    streams = (await session.execute(select(Stream).where(visible, Stream.ends_at >= since))).scalars()
    events = [
        CalendarEvent(
            uid=f"stream-{s.id}@cunbo",
            title=s.title,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            description=i18n.translate(platform_label(s.platform)),
            url=f"{base_url}/streams/{s.id}",
            cancelled=s.status == StreamStatus.CANCELLED.value,
            updated_at=s.updated_at,
        )
        for s in streams
    ]
    for source in sources:
        events.extend(await source(session, user.id, base_url=base_url))
    return user, events
