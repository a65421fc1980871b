"""The secretary's class pages: schedule, move and cancel classes, take the roll on the phone, and show the
rotating check-in code.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from shop import i18n
from shop.errors import N_, DomainError, InvalidInput
from shop.timeutil import as_utc, to_local, utcnow
from shop.training import checkin
from shop.training.classes import ClassService
from shop.training.display import attendance_options, class_length_options, helpers
from shop.training.models import TrainingClass
from shop.training.progress import TrainingProgress
from shop.training.staff_cohorts import cohort_form_error
from shop.training.staff_forms import class_times
from shop.web.auth import requires_staff
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, notify, read_form
from shop.web.links import public_base
from shop.web.params import IdPath


def _class_fields(form: Any) -> dict[str, Any]:
    """The class form's topic, place and times (raises InvalidInput for a time that does not read)."""
    starts, ends = class_times(form)
    return {
        "topic": str(form.get("topic") or ""),
        "place": str(form.get("place") or ""),
        "starts_at": starts,
        "ends_at": ends,
    }


@post("/training/cohorts/{cohort_id:int}/classes", guards=[requires_staff])
async def class_create(
    cohort_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        training_class = await ClassService(session=db_session).schedule_class(actor, cohort_id, **_class_fields(form))
    except DomainError as exc:
        return await cohort_form_error(exc, actor, db_session, cohort_id, form)
    notify(
        request,
        i18n.gettext_(N_("Class scheduled. Trainees are reminded a day and an hour before.")),
    )
    return Redirect(f"/training/classes/{training_class.id}", status_code=303)


def _class_values(training_class: TrainingClass) -> dict[str, str]:
    length = int((as_utc(training_class.ends_at) - as_utc(training_class.starts_at)).total_seconds() // 60)
    return {
        "topic": training_class.topic,
        "place": training_class.place,
        "starts_at": to_local(training_class.starts_at).strftime("%Y-%m-%dT%H:%M"),
        "length": str(length),
    }


def _class_form_context(actor: Actor, training_class: TrainingClass) -> dict[str, Any]:
    lengths = class_length_options()
    current = _class_values(training_class)["length"]
    if current not in {value for value, _label in lengths}:
        lengths.append((current, i18n.gettext_(N_("%(n)d minutes"), n=int(current))))
    return {"cls": training_class, "cohort": training_class.cohort, "lengths": lengths, "user": actor, **helpers()}


@get("/training/classes/{class_id:int}/edit", guards=[requires_staff], name="training_class_edit")
async def class_edit(class_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    training_class = await ClassService(session=db_session).get_for(actor, class_id)
    return Template(
        "training/class_form.html",
        context={"values": _class_values(training_class), "errors": {}, **_class_form_context(actor, training_class)},
    )


@post("/training/classes/{class_id:int}/edit", guards=[requires_staff])
async def class_update(
    class_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    classes = ClassService(session=db_session)
    training_class = await classes.get_for(actor, class_id)
    try:
        await classes.update_class(actor, class_id, **_class_fields(form))
    except DomainError as exc:
        return form_error(
            "training/class_form.html", exc, db_session, form=form, **_class_form_context(actor, training_class)
        )
    notify(request, i18n.gettext_(N_("Saved. The trainees' reminders follow the new time.")))
    return Redirect(f"/training/classes/{class_id}", status_code=303)


@post("/training/classes/{class_id:int}/cancel", guards=[requires_staff])
async def class_cancel(
    class_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    training_class = await ClassService(session=db_session).cancel_class(actor, class_id)
    notify(request, i18n.gettext_(N_("Class cancelled; its reminders were withdrawn.")))
    return Redirect(f"/training/cohorts/{training_class.cohort_id}", status_code=303)


async def class_context(
    actor: Actor, db_session: DbSession, training_class: TrainingClass, *, roll: list[Any] | None = None
) -> dict[str, Any]:
    """The class page around its form: for staff the roll (``roll`` when already read), for a trainee their
    own mark."""
    now = utcnow()
    context: dict[str, Any] = {
        "cls": training_class,
        "cohort": training_class.cohort,
        "check_in_open": ClassService.check_in_open(training_class, now),
        "started": as_utc(training_class.starts_at) <= now,
        "user": actor,
        **helpers(),
    }
    if actor.is_staff:
        context["roll"] = roll if roll is not None else await ClassService(session=db_session).roll(training_class)
        context["statuses"] = attendance_options()
    else:
        records = await TrainingProgress(db_session).class_record(training_class.cohort, actor.id)
        context["my_status"] = next((status for c, status in records if c.id == training_class.id), None)
    return context


@post("/training/classes/{class_id:int}/attendance", guards=[requires_staff])
async def class_attendance(
    class_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    """The roll from the phone: one choice per trainee; trainees left blank are not changed."""
    form = await read_form(request)
    classes = ClassService(session=db_session)
    training_class = await classes.get_for(actor, class_id)
    roll = await classes.roll(training_class)
    marks = {}
    for enrollment, _mark in roll:
        status = str(form.get(f"s-{enrollment.user_id}") or "")
        if status:
            marks[enrollment.user_id] = status
    try:
        if not marks:
            raise InvalidInput("marks", N_("Choose present, late, excused or absent for at least one trainee."))
        recorded = await classes.record_attendance(actor, class_id, marks)
    except DomainError as exc:
        context = await class_context(actor, db_session, training_class, roll=roll)
        return form_error("training/class.html", exc, db_session, form={}, **context)
    counts = {
        status: sum(1 for m in recorded if m.status == status) for status in ("present", "late", "excused", "absent")
    }
    notify(
        request,
        i18n.gettext_(
            N_("Roll saved: %(present)d present, %(late)d late, %(excused)d excused, %(absent)d absent."), **counts
        ),
    )
    return Redirect(f"/training/classes/{class_id}", status_code=303)


@get("/training/classes/{class_id:int}/qr", guards=[requires_staff], name="training_class_qr")
async def class_qr(
    class_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template:
    """The screen the secretary holds up: a QR code that changes every minute, and the same code as digits."""
    classes = ClassService(session=db_session)
    training_class = await classes.get_for(actor, class_id)
    now = utcnow()
    code = checkin.current_code(settings.secret_key, training_class.id, now)
    roll = await classes.roll(training_class)
    here = [e.user.name for e, mark in roll if mark is not None and mark.status in ("present", "late")]
    return Template(
        "training/class_qr.html",
        context={
            "cls": training_class,
            "code": code,
            "check_in_url": f"{public_base(request)}/training/classes/{training_class.id}/check-in/{code}",
            "refresh": checkin.seconds_until_next_code(now) + 1,
            "open": ClassService.check_in_open(training_class, now),
            "here": here,
            "enrolled": len(roll),
            "user": actor,
            **helpers(),
        },
    )


ROUTES = [
    class_create,
    class_edit,
    class_update,
    class_cancel,
    class_attendance,
    class_qr,
]
