"""Pages: the guest book, planning streams, the printable run-of-show, the live board (with server-sent
events), and every user's calendar feed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage, Template

from shop import i18n
from shop.accounts.models import User
from shop.calendar_feed import build_calendar
from shop.channels import PLATFORM_LABELS
from shop.db import read_session
from shop.errors import N_, DomainError, InvalidInput, NotFound
from shop.media import store_photo
from shop.money import MoneyFormatError, fen_to_yuan_text, parse_yuan
from shop.paging import Paging
from shop.streams.live import live_state, notify_after_response
from shop.streams.models import STATUS_LABELS, Platform, Stream, StreamStatus
from shop.streams.services import (
    FIRST_YEAR,
    LAST_YEAR,
    GuestService,
    GuestSlot,
    LineupEntry,
    StreamPlan,
    StreamService,
    calendar_events,
    run_of_show,
)
from shop.timeutil import SHANGHAI, local_today, to_local, utcnow
from shop.villages.services import VillageService
from shop.web.auth import PUBLIC, requires_staff, requires_user
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, form_int, notify, read_form
from shop.web.params import IdPath

LINEUP_ROWS = 8
ROLE_LABELS = {"secretary": N_("Village secretary"), "trainee": N_("Trainee")}
KEEPALIVE_EVERY = 8  # polls (about 16 s) between comments that keep proxies from closing the stream


def platform_options() -> list[tuple[str, str]]:
    return [(p.value, i18n.translate(PLATFORM_LABELS[p])) for p in Platform]


def _labels() -> dict[str, Any]:
    return {
        "platform_labels": {p.value: i18n.translate(PLATFORM_LABELS[p]) for p in Platform},
        "status_labels": {str(s): i18n.translate(label) for s, label in STATUS_LABELS.items()},
    }


# --- guests ------------------------------------------------------------------------------------------


@get("/guests", guards=[requires_staff], name="guests")
async def guest_list(actor: Actor, db_session: DbSession) -> Template:
    guests, total = await GuestService(session=db_session).list_for(actor, Paging(limit=200))
    return Template(
        "streams/guests.html", context={"guests": guests, "total": total, "values": {}, "errors": {}, "user": actor}
    )


class _GuestFields(TypedDict):
    name: str
    title: str
    craft: str
    bio: str
    phone: str


def _guest_fields(form: Any) -> _GuestFields:
    def text(key: str) -> str:
        return str(form.get(key) or "")

    return _GuestFields(
        name=text("name"), title=text("title"), craft=text("craft"), bio=text("bio"), phone=text("phone")
    )


@post("/guests", guards=[requires_staff], request_max_body_size=6 * 1024 * 1024)
async def guest_create(
    request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    service = GuestService(session=db_session)
    try:
        guest = await service.create_guest(actor, **_guest_fields(form))
        await _maybe_photo(service, actor, guest.id, form, settings)
    except DomainError as exc:
        guests, total = await service.list_for(actor, Paging(limit=200))
        return form_error("streams/guests.html", exc, db_session, form=form, guests=guests, total=total, user=actor)
    notify(request, i18n.gettext_(N_("%(name)s added to the guest book."), name=guest.name))
    return Redirect("/guests", status_code=303)


async def _maybe_photo(service: GuestService, actor: Actor, guest_id: int, form: Any, settings: Any) -> None:
    upload = form.get("photo")
    if isinstance(upload, UploadFile) and upload.filename:
        stored = await asyncio.to_thread(store_photo, await upload.read(), settings.media_dir)
        await service.set_photo(actor, guest_id, stored.display_path, stored.thumb_path)


@get("/guests/{guest_id:int}", guards=[requires_staff], name="guest_detail")
async def guest_detail(guest_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    guest = await GuestService(session=db_session).get_for(actor, guest_id)
    values = {key: getattr(guest, key) for key in ("name", "title", "craft", "bio", "phone")}
    return Template("streams/guest.html", context={"guest": guest, "values": values, "errors": {}, "user": actor})


@post("/guests/{guest_id:int}", guards=[requires_staff], request_max_body_size=6 * 1024 * 1024)
async def guest_update(
    guest_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    service = GuestService(session=db_session)
    guest = await service.get_for(actor, guest_id)
    try:
        await service.update_guest(actor, guest_id, **_guest_fields(form))
        await _maybe_photo(service, actor, guest_id, form, settings)
    except DomainError as exc:
        return form_error("streams/guest.html", exc, db_session, form=form, guest=guest, user=actor)
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/guests/{guest_id}", status_code=303)


# --- planning ----------------------------------------------------------------------------------------


@get("/streams", guards=[requires_user], name="streams")
async def stream_list(actor: Actor, db_session: DbSession) -> Template:
    service = StreamService(session=db_session)
    upcoming, _ = await service.list_for(actor, Paging(limit=50), upcoming=True)
    past, past_total = await service.list_for(actor, Paging(limit=20), upcoming=False)
    return Template(
        "streams/list.html",
        context={"upcoming": upcoming, "past": past, "past_total": past_total, "user": actor, **_labels()},
    )


async def _form_context(actor: Actor, db_session: DbSession, village_id: int | None) -> dict[str, Any]:
    choices = await StreamService(session=db_session).plan_choices(
        village_id if village_id is not None else actor.village_id
    )
    return {
        "products": choices.products,
        "guests": choices.guests,
        "host_options": [(str(u.id), f"{u.name} · {i18n.translate(ROLE_LABELS[u.role])}") for u in choices.hosts],
        "past_streams": choices.past_streams,
        "platforms": platform_options(),
        "rows": range(1, LINEUP_ROWS + 1),
        "user": actor,
    }


def _values_of(stream: Stream | None, plan: StreamPlan | None = None) -> dict[str, str]:
    """The form's values for an existing stream, or for a plan copied from one."""
    source = plan
    if source is None and stream is not None:
        source = StreamService.plan_of(stream)
    values: dict[str, str] = {}
    if source is None:
        return values
    start, end = to_local(source.starts_at), to_local(source.ends_at)
    values.update(
        title=source.title,
        platform=source.platform,
        date=start.date().isoformat(),
        start_time=start.strftime("%H:%M"),
        end_time=end.strftime("%H:%M"),
        notes=source.notes,
        host_user_id=str(source.host_user_id or ""),
        practice="on" if source.practice else "",
    )
    for slot in source.guests:
        values[f"guest_{slot.guest_id}"] = "on"
        values[f"guest_minutes_{slot.guest_id}"] = str(slot.planned_minutes)
    for row, entry in enumerate(source.lineup, start=1):
        values[f"product_{row}"] = str(entry.product_id)
        values[f"price_{row}"] = fen_to_yuan_text(entry.live_price_fen) if entry.live_price_fen is not None else ""
        values[f"minutes_{row}"] = str(entry.planned_minutes)
        values[f"cap_{row}"] = str(entry.quantity_cap or "")
        values[f"points_{row}"] = entry.talking_points
    return values


def _plan_from_form(form: Any) -> tuple[StreamPlan, int]:
    try:
        day = date.fromisoformat(str(form.get("date") or ""))
    except ValueError as exc:
        raise InvalidInput("date", N_("Choose the day of the stream.")) from exc
    try:
        start = time.fromisoformat(str(form.get("start_time") or ""))
        end = time.fromisoformat(str(form.get("end_time") or ""))
    except ValueError as exc:
        raise InvalidInput("start_time", N_("Enter the start and end time, e.g. 19:30 and 21:00.")) from exc
    starts_at = datetime.combine(day, start, tzinfo=SHANGHAI)
    ends_at = datetime.combine(day, end, tzinfo=SHANGHAI)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            "date", N_("Choose a time between the years %(first)d and %(last)d."), first=FIRST_YEAR, last=LAST_YEAR
        )
    if ends_at <= starts_at:
        ends_at += timedelta(days=1)  # 22:00 to 00:30 runs past midnight
    guests = [
        GuestSlot(
            int(key.removeprefix("guest_")),
            form_int(form.get(f"guest_minutes_{key.removeprefix('guest_')}"), "guests", default=10) or 10,
        )
        for key in form
        if key.startswith("guest_") and key.removeprefix("guest_").isdigit() and form.get(key) == "on"
    ]
    lineup = []
    for row in range(1, LINEUP_ROWS + 1):
        product_id = form_int(form.get(f"product_{row}"), "lineup")
        if product_id is None:
            continue
        price_text = str(form.get(f"price_{row}") or "").strip()
        try:
            price = parse_yuan(price_text) if price_text else None
        except MoneyFormatError as exc:
            raise InvalidInput("lineup", N_("Row %(row)d: the live price must be an amount in yuan."), row=row) from exc
        lineup.append(
            LineupEntry(
                product_id=product_id,
                live_price_fen=price,
                talking_points=str(form.get(f"points_{row}") or "").strip(),
                planned_minutes=form_int(form.get(f"minutes_{row}"), "lineup", default=8) or 8,
                quantity_cap=form_int(form.get(f"cap_{row}"), "lineup"),
            )
        )
    plan = StreamPlan(
        title=str(form.get("title") or ""),
        platform=str(form.get("platform") or ""),
        starts_at=starts_at,
        ends_at=ends_at,
        host_user_id=form_int(form.get("host_user_id"), "host_user_id"),
        practice=form.get("practice") == "on",
        notes=str(form.get("notes") or ""),
        guests=guests,
        lineup=lineup,
    )
    weeks = form_int(form.get("repeat_weekly"), "repeat_weekly", default=1) or 1
    return plan, weeks


@get("/streams/new", guards=[requires_staff], name="stream_new")
async def stream_new(actor: Actor, db_session: DbSession, copy_from: FromQuery[int | None] = None) -> Template:
    values: dict[str, str] = {
        "platform": "douyin",
        "date": (local_today() + timedelta(days=1)).isoformat(),
        "start_time": "19:30",
        "end_time": "21:00",
        "host_user_id": str(actor.id),
    }
    if copy_from is not None:
        service = StreamService(session=db_session)
        source = await service.get_for(actor, copy_from)
        copied = _values_of(source)
        values.update(
            {
                k: v
                for k, v in copied.items()
                if k.startswith(("product_", "price_", "minutes_", "cap_", "points_", "guest_"))
            }
        )
        values["title"] = source.title
    context = await _form_context(actor, db_session, None)
    return Template("streams/form.html", context={"values": values, "errors": {}, "stream": None, **context})


@post("/streams/new", guards=[requires_staff])
async def stream_create(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    service = StreamService(session=db_session)
    try:
        plan, weeks = _plan_from_form(form)
        if weeks > 1:
            streams = await service.plan_series(actor, plan, weeks)
            stream = streams[0]
            notify(request, i18n.gettext_(N_("%(n)s weekly streams planned."), n=len(streams)))
        else:
            stream = await service.plan_stream(actor, plan)
            notify(request, i18n.gettext_(N_("Stream planned. Reminders will go out before it starts.")))
    except DomainError as exc:
        context = await _form_context(actor, db_session, None)
        return form_error("streams/form.html", exc, db_session, form=form, stream=None, **context)
    return Redirect(f"/streams/{stream.id}", status_code=303)


@get("/streams/{stream_id:int}", guards=[requires_user], name="stream_detail")
async def stream_detail(stream_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    host = await db_session.get(User, stream.host_user_id)
    return Template(
        "streams/detail.html",
        context={"stream": stream, "host": host, "blocks": run_of_show(stream), "user": actor, **_labels()},
    )


@get("/streams/{stream_id:int}/edit", guards=[requires_staff], name="stream_edit")
async def stream_edit(stream_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    context = await _form_context(actor, db_session, stream.village_id)
    return Template(
        "streams/form.html", context={"values": _values_of(stream), "errors": {}, "stream": stream, **context}
    )


@post("/streams/{stream_id:int}/edit", guards=[requires_staff])
async def stream_update(
    stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    service = StreamService(session=db_session)
    stream = await service.get_for(actor, stream_id)
    try:
        plan, _weeks = _plan_from_form(form)
        await service.replan(actor, stream_id, plan)
    except DomainError as exc:
        context = await _form_context(actor, db_session, stream.village_id)
        return form_error("streams/form.html", exc, db_session, form=form, stream=stream, **context)
    notify_after_response(request, stream_id)
    notify(request, i18n.gettext_(N_("Saved. Unsent reminders moved with the new time.")))
    return Redirect(f"/streams/{stream_id}", status_code=303)


@get("/streams/{stream_id:int}/script", guards=[requires_user], name="stream_script")
async def stream_script(stream_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    village = await VillageService(session=db_session).get_public(stream.village_id)
    return Template(
        "streams/script.html",
        context={"stream": stream, "village": village, "blocks": run_of_show(stream), "user": actor, **_labels()},
    )


# --- live ----------------------------------------------------------------------------------------------


@get("/streams/{stream_id:int}/live", guards=[requires_user], name="stream_live")
async def live_board(
    stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    stream = await StreamService(session=db_session).get_for(actor, stream_id)
    state = await live_state(db_session, stream, request.app.state.domains.board)
    return Template(
        "streams/live.html",
        context={"stream": stream, "state": state, "user": actor, **_labels()},
    )


@post("/streams/{stream_id:int}/live/pin", guards=[requires_user])
async def live_pin(stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    form = await read_form(request)
    service = StreamService(session=db_session)
    item_id = form_int(form.get("item_id"), "item_id")
    step = {"next": 1, "previous": -1}.get(str(form.get("move") or ""), 0)
    await service.pin(actor, stream_id, item_id, step=step)
    notify_after_response(request, stream_id)
    return Redirect(f"/streams/{stream_id}/live", status_code=303)


@post("/streams/{stream_id:int}/status", guards=[requires_user])
async def stream_status(
    stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    form = await read_form(request)
    status = str(form.get("status") or "")
    if status not in (StreamStatus.LIVE.value, StreamStatus.ENDED.value, StreamStatus.CANCELLED.value):
        raise InvalidInput("status", N_("Unknown stream status."))
    await StreamService(session=db_session).set_status(actor, stream_id, status)
    notify_after_response(request, stream_id)
    target = f"/streams/{stream_id}/live" if status == StreamStatus.LIVE.value else f"/streams/{stream_id}"
    return Redirect(target, status_code=303)


@get("/streams/{stream_id:int}/live/events", guards=[requires_user], name="stream_events")
async def live_events(stream_id: IdPath, request: Request[Any, Any, Any], actor: Actor) -> ServerSentEvent:
    """Server-sent events: the live board's state, whenever it changes (checked at least every 2 s)."""
    alchemy = request.app.state.alchemy_config
    hub = request.app.state.live_hub
    board = request.app.state.domains.board
    async with read_session(alchemy) as session:
        await StreamService(session=session).get_for(actor, stream_id)  # 404 before the stream opens

    async def states() -> AsyncGenerator[ServerSentEventMessage, None]:
        last: tuple[object, ...] | None = None
        quiet = 0
        while True:
            async with read_session(alchemy) as session:
                stream = await session.get(Stream, stream_id)
                if stream is None:
                    return
                state = await live_state(session, stream, board)
            if state.fingerprint() != last:
                last = state.fingerprint()
                quiet = 0
                yield ServerSentEventMessage(event="state", data=json.dumps(state.to_json(), ensure_ascii=False))
            else:
                quiet += 1
                if quiet % KEEPALIVE_EVERY == 0:
                    yield ServerSentEventMessage(comment="still here")
            if state.status in (StreamStatus.ENDED.value, StreamStatus.CANCELLED.value):
                return
            await hub.wait(stream_id)

    return ServerSentEvent(states(), headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# --- calendar feed ---------------------------------------------------------------------------------------


@get("/calendar/{feed:str}", opt=PUBLIC, name="calendar_feed", include_in_schema=False)
async def calendar_feed(feed: FromPath[str], request: Request[Any, Any, Any], db_session: DbSession) -> Response[bytes]:
    """A user's streams (and classes) as an .ics feed; the secret in the address is the only key."""
    from shop.web.links import public_base

    secret = feed.removesuffix(".ics")
    if not feed.endswith(".ics") or not secret:
        raise NotFound()
    user, events = await calendar_events(
        db_session, secret, base_url=public_base(request), sources=request.app.state.domains.calendars
    )
    body = build_calendar(events, name=f"村播助农 · {user.name}", now=utcnow())
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})


ROUTES = [
    guest_list,
    guest_create,
    guest_detail,
    guest_update,
    stream_list,
    stream_new,
    stream_create,
    stream_detail,
    stream_edit,
    stream_update,
    stream_script,
    live_board,
    live_pin,
    stream_status,
    live_events,
    calendar_feed,
]
