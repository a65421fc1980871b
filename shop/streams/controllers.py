"""JSON API: guests, streams (planning, status, pinning, run-of-show)."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, JSONBody
from msgspec import UNSET

from shop.paging import Page
from shop.streams.live import notify_after_response
from shop.streams.schemas import (
    GuestIn,
    GuestOut,
    PinIn,
    ShowBlockOut,
    StreamIn,
    StreamOut,
    StreamPatch,
    StreamStatusIn,
    as_aware,
    guest_slots,
)
from shop.streams.services import GuestService, StreamPlan, StreamService, run_of_show
from shop.web.auth import requires_staff, requires_user
from shop.web.deps import Actor, PageParams
from shop.web.params import IdPath


class GuestController(Controller):
    path = "/guests"
    tags = ["streams"]
    guards = [requires_staff]
    dependencies = {"guests": Provide(create_service_provider(GuestService))}

    @post("/")
    async def create_guest(
        self, data: JSONBody[GuestIn], guests: NamedDependency[GuestService], actor: Actor
    ) -> GuestOut:
        """Add someone to the village's guest book (e.g. a heritage inheritor)."""
        guest = await guests.create_guest(
            actor,
            name=data.name,
            title=data.title,
            craft=data.craft,
            bio=data.bio,
            phone=data.phone,
            village_id=data.village_id,
        )
        return GuestOut.of(guest, masked=False)

    @get("/")
    async def list_guests(
        self, guests: NamedDependency[GuestService], actor: Actor, paging: PageParams
    ) -> Page[GuestOut]:
        rows, total = await guests.list_for(actor, paging)
        return Page([GuestOut.of(g) for g in rows], total, paging.limit, paging.offset)

    @get("/{guest_id:int}")
    async def get_guest(self, guest_id: IdPath, guests: NamedDependency[GuestService], actor: Actor) -> GuestOut:
        return GuestOut.of(await guests.get_for(actor, guest_id), masked=False)


class StreamController(Controller):
    path = "/streams"
    tags = ["streams"]
    guards = [requires_user]
    dependencies = {"streams": Provide(create_service_provider(StreamService))}

    @post("/", guards=[requires_staff])
    async def plan_stream(
        self, data: JSONBody[StreamIn], streams: NamedDependency[StreamService], actor: Actor
    ) -> StreamOut:
        """Plan a stream (times without an offset are Beijing time). 409 names a clashing stream when the
        host or a guest is already on one at an overlapping time. ``repeat_weekly`` > 1 makes a weekly series."""
        plan = StreamPlan(
            title=data.title,
            platform=data.platform,
            starts_at=as_aware(data.starts_at),
            ends_at=as_aware(data.ends_at),
            host_user_id=data.host_user_id,
            practice=data.practice,
            notes=data.notes,
            guests=guest_slots(data.guest_ids),
            lineup=[entry.entry() for entry in data.lineup],
        )
        if data.repeat_weekly > 1:
            created = await streams.plan_series(actor, plan, data.repeat_weekly, village_id=data.village_id)
            return StreamOut.of(created[0])
        return StreamOut.of(await streams.plan_stream(actor, plan, village_id=data.village_id))

    @get("/")
    async def list_streams(
        self,
        streams: NamedDependency[StreamService],
        actor: Actor,
        paging: PageParams,
        status: FromQuery[str | None] = None,
        upcoming: FromQuery[bool | None] = None,
    ) -> Page[StreamOut]:
        """The village's streams (a trainee: the ones they host); ``upcoming=true`` for what is ahead."""
        rows, total = await streams.list_for(actor, paging, status=status, upcoming=upcoming)
        return Page([StreamOut.of(s) for s in rows], total, paging.limit, paging.offset)

    @get("/{stream_id:int}")
    async def get_stream(self, stream_id: IdPath, streams: NamedDependency[StreamService], actor: Actor) -> StreamOut:
        return StreamOut.of(await streams.get_for(actor, stream_id))

    @patch("/{stream_id:int}", guards=[requires_staff])
    async def replan_stream(
        self, stream_id: IdPath, data: JSONBody[StreamPatch], streams: NamedDependency[StreamService], actor: Actor
    ) -> StreamOut:
        """Change the plan; unsent reminders move with it."""
        stream = await streams.get_for(actor, stream_id)
        plan = streams.plan_of(stream)
        for name in ("title", "platform", "notes", "practice", "host_user_id"):
            value = getattr(data, name)
            if value is not UNSET:
                setattr(plan, name, value)
        if data.starts_at is not UNSET:
            plan.starts_at = as_aware(data.starts_at)
        if data.ends_at is not UNSET:
            plan.ends_at = as_aware(data.ends_at)
        if data.guest_ids is not UNSET:
            plan.guests = guest_slots(data.guest_ids)
        if data.lineup is not UNSET:
            plan.lineup = [entry.entry() for entry in data.lineup]
        return StreamOut.of(await streams.replan(actor, stream_id, plan))

    @post("/{stream_id:int}/status", status_code=200)
    async def set_status(
        self,
        stream_id: IdPath,
        data: JSONBody[StreamStatusIn],
        streams: NamedDependency[StreamService],
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> StreamOut:
        """Go live, end, or cancel (cancelling withdraws its reminders). Illegal moves are 409."""
        stream = await streams.set_status(actor, stream_id, data.status)
        notify_after_response(request, stream.id)
        return StreamOut.of(stream)

    @post("/{stream_id:int}/pin", status_code=200)
    async def pin(
        self,
        stream_id: IdPath,
        data: JSONBody[PinIn],
        streams: NamedDependency[StreamService],
        actor: Actor,
        request: Request[Any, Any, Any],
    ) -> StreamOut:
        """Pin a lineup item by id, or move the pin by ``step`` (1 = next product)."""
        stream = await streams.pin(actor, stream_id, data.item_id, step=data.step)
        notify_after_response(request, stream.id)
        return StreamOut.of(stream)

    @get("/{stream_id:int}/run-of-show")
    async def run_of_show(
        self, stream_id: IdPath, streams: NamedDependency[StreamService], actor: Actor
    ) -> list[ShowBlockOut]:
        """The 直播脚本 as clock-timed blocks: opening, guests, products, closing."""
        return [ShowBlockOut.of(block) for block in run_of_show(await streams.get_for(actor, stream_id))]
