"""The secretary's training pages: write and publish courses, open cohorts, enrol trainees, schedule classes,
take the roll on the phone or show the rotating check-in code, and watch who is at risk."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from shop import i18n
from shop.accounts.principal import Principal
from shop.errors import N_, DomainError, InvalidInput
from shop.paging import Paging
from shop.timeutil import as_utc, local_to_utc, local_today, to_local, utcnow
from shop.training import checkin
from shop.training.content import STARTER_KEY, import_starter_course
from shop.training.display import attendance_options, class_length_options, helpers
from shop.training.files import MAX_LESSON_FILE_BYTES, lesson_files_dir, store_lesson_file
from shop.training.models import Course, Lesson, TrainingClass
from shop.training.progress import CertificateService, TrainingProgress
from shop.training.rules import CompletionRule
from shop.training.services import (
    ClassService,
    CohortService,
    CourseService,
    LessonFields,
)
from shop.villages.pages import public_base
from shop.villages.services import VillageService
from shop.web.auth import requires_staff
from shop.web.deps import Actor, AppSettings, DbSession, Hasher
from shop.web.forms import form_error, form_values, notify, read_form
from shop.web.params import IdPath

LIST_LIMIT = 200
DEFAULT_CLASS_MINUTES = 120


def _whole(form: Any, field: str, *, default: int | None = None) -> int:
    text = str(form.get(field) or "").strip()
    if not text and default is not None:
        return default
    if not text.isdigit():
        raise InvalidInput(field, N_("Enter a whole number."))
    return int(text)


def _day(form: Any, field: str, *, required: bool) -> date | None:
    text = str(form.get(field) or "").strip()
    if not text:
        if required:
            raise InvalidInput(field, N_("Pick a date."))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(field, N_("The date must look like 2026-12-01.")) from exc


def _class_times(form: Any) -> tuple[datetime, datetime]:
    """``starts_at`` is Beijing wall-clock time from a datetime-local input; the length is in minutes."""
    text = str(form.get("starts_at") or "").strip()
    try:
        starts = local_to_utc(datetime.fromisoformat(text))
    except ValueError as exc:
        raise InvalidInput("starts_at", N_("Pick the day and the time the class starts.")) from exc
    minutes = _whole(form, "length", default=DEFAULT_CLASS_MINUTES)
    if not 1 <= minutes <= 12 * 60:
        raise InvalidInput("length", N_("A class lasts at most 12 hours."))
    return starts, starts + timedelta(minutes=minutes)


def _rule(form: Any) -> CompletionRule:
    return CompletionRule(
        require_all_lessons=form.get("require_all_lessons") == "on",
        min_attendance_percent=_whole(form, "min_attendance_percent", default=0),
        min_practice_streams=_whole(form, "min_practice_streams", default=0),
    )


def _lesson_fields(form: Any) -> LessonFields:
    minutes_text = str(form.get("minutes") or "").strip()
    return LessonFields(
        title=str(form.get("title") or ""),
        body_md=str(form.get("body_md") or ""),
        minutes=_whole(form, "minutes") if minutes_text else None,
        video_url=str(form.get("video_url") or ""),
    )


async def _village_options(actor: Principal, db_session: DbSession) -> list[tuple[int, str]]:
    if not actor.is_admin:
        return []
    villages, _total = await VillageService(session=db_session).list_for(actor, Paging(limit=LIST_LIMIT))
    return [(v.id, v.name) for v in villages]


def _optional_village(form: Any) -> int | None:
    text = str(form.get("village_id") or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("village_id", N_("Choose a village."))
    return int(text)


# --- the training desk ------------------------------------------------------------------------------------


async def training_desk(actor: Actor, db_session: DbSession) -> Template:
    """Staff at /training: the village's courses and cohorts, and the starter course to load."""
    courses, _ = await CourseService(session=db_session).list_for(actor, Paging(limit=LIST_LIMIT))
    cohorts, _ = await CohortService(session=db_session).list_for(actor, Paging(limit=LIST_LIMIT))
    has_starter = any(c.starter_key == STARTER_KEY for c in courses)
    return Template(
        "training/desk.html",
        context={
            "courses": courses,
            "cohorts": cohorts,
            "show_starter": actor.is_admin or not has_starter,
            "village_options": await _village_options(actor, db_session),
            "values": {},
            "errors": {},
            "user": actor,
        },
    )


@post("/training/courses/import-starter", guards=[requires_staff])
async def import_starter(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    form = await read_form(request)
    village_id = actor.target_village(_optional_village(form))
    course, created = await import_starter_course(db_session, actor, village_id)
    message = N_("The starter course %(title)s is ready.") if created else N_("%(title)s was already loaded.")
    notify(request, i18n.gettext_(message, title=course.title))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


# --- courses ------------------------------------------------------------------------------------------------


async def _course_form_context(actor: Actor, db_session: DbSession) -> dict[str, Any]:
    return {"course": None, "village_options": await _village_options(actor, db_session), "user": actor}


@get("/training/courses/new", guards=[requires_staff], name="training_course_new")
async def course_new(actor: Actor, db_session: DbSession) -> Template:
    values = {"require_all_lessons": "on", "min_attendance_percent": "80", "min_practice_streams": "1"}
    context = await _course_form_context(actor, db_session)
    return Template("training/course_form.html", context={"values": values, "errors": {}, **context})


@post("/training/courses/new", guards=[requires_staff])
async def course_create(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Template | Redirect:
    form = await read_form(request)
    try:
        course = await CourseService(session=db_session).create_course(
            actor,
            title=str(form.get("title") or ""),
            description=str(form.get("description") or ""),
            rule=_rule(form),
            village_id=_optional_village(form),
        )
    except DomainError as exc:
        context = await _course_form_context(actor, db_session)
        return form_error("training/course_form.html", exc, db_session, form=form, **context)
    notify(request, i18n.gettext_(N_("Course created. Now add its lessons.")))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


def _course_values(course: Course) -> dict[str, str]:
    return {
        "title": course.title,
        "description": course.description,
        "require_all_lessons": "on" if course.require_all_lessons else "",
        "min_attendance_percent": str(course.min_attendance_percent),
        "min_practice_streams": str(course.min_practice_streams),
    }


async def _course_context(actor: Actor, db_session: DbSession, course_id: int) -> dict[str, Any]:
    course = await CourseService(session=db_session).get_for(actor, course_id)
    cohorts, _ = await CohortService(session=db_session).list_for(actor, Paging(limit=LIST_LIMIT), course_id=course.id)
    next_number = len(cohorts) + 1
    return {
        "course": course,
        "cohorts": cohorts,
        "cohort_values": {
            "name": i18n.gettext_(N_("Cohort %(n)d"), n=next_number),
            "starts_on": local_today().isoformat(),
        },
        "user": actor,
        **helpers(),
    }


@get("/training/courses/{course_id:int}", guards=[requires_staff], name="training_course")
async def course_page(course_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    context = await _course_context(actor, db_session, course_id)
    return Template(
        "training/course.html", context={"values": _course_values(context["course"]), "errors": {}, **context}
    )


@post("/training/courses/{course_id:int}", guards=[requires_staff])
async def course_update(
    course_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        await CourseService(session=db_session).update_course(
            actor,
            course_id,
            title=str(form.get("title") or ""),
            description=str(form.get("description") or ""),
            rule=_rule(form),
        )
    except DomainError as exc:
        context = await _course_context(actor, db_session, course_id)
        return form_error("training/course.html", exc, db_session, form=form, **context)
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/training/courses/{course_id}", status_code=303)


@post("/training/courses/{course_id:int}/publish", guards=[requires_staff])
async def course_publish(
    course_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    published = form.get("published") == "1"
    try:
        course = await CourseService(session=db_session).update_course(actor, course_id, published=published)
    except DomainError as exc:
        context = await _course_context(actor, db_session, course_id)
        return form_error("training/course.html", exc, db_session, form=_course_values(context["course"]), **context)
    message = N_("%(title)s is published: enrolled trainees see it.") if published else N_("%(title)s is hidden.")
    notify(request, i18n.gettext_(message, title=course.title))
    return Redirect(f"/training/courses/{course_id}", status_code=303)


# --- lessons ------------------------------------------------------------------------------------------------

LESSON_UPLOAD_LIMIT = MAX_LESSON_FILE_BYTES + 256 * 1024


def _lesson_form(actor: Actor, course: Course, lesson: Lesson | None) -> dict[str, Any]:
    """What the lesson form shows around its fields, whether fresh or after a refusal."""
    return {"course": course, "lesson": lesson, "user": actor, **helpers()}


@get("/training/courses/{course_id:int}/lessons/new", guards=[requires_staff], name="training_lesson_new")
async def lesson_new(course_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    course = await CourseService(session=db_session).get_for(actor, course_id)
    return Template(
        "training/lesson_form.html",
        context={"values": {}, "errors": {}, **_lesson_form(actor, course, None)},
    )


async def _attach_upload(
    form: Any, courses: CourseService, actor: Actor, lesson: Lesson, settings: AppSettings
) -> None:
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        stored = await asyncio.to_thread(store_lesson_file, data, upload.filename, lesson_files_dir(settings.var_dir))
        await courses.attach_file(actor, lesson.id, stored)
    elif form.get("remove_file") == "on":
        await courses.attach_file(actor, lesson.id, None)


@post(
    "/training/courses/{course_id:int}/lessons/new", guards=[requires_staff], request_max_body_size=LESSON_UPLOAD_LIMIT
)
async def lesson_create(
    course_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    courses = CourseService(session=db_session)
    course = await courses.get_for(actor, course_id)
    try:
        lesson = await courses.add_lesson(actor, course_id, _lesson_fields(form))
        await _attach_upload(form, courses, actor, lesson, settings)
    except DomainError as exc:
        return form_error("training/lesson_form.html", exc, db_session, form=form, **_lesson_form(actor, course, None))
    notify(request, i18n.gettext_(N_("Lesson %(n)d added."), n=lesson.position))
    return Redirect(f"/training/courses/{course_id}", status_code=303)


def _lesson_values(lesson: Lesson) -> dict[str, str]:
    return {
        "title": lesson.title,
        "minutes": str(lesson.minutes),
        "video_url": lesson.video_url,
        "body_md": lesson.body_md,
    }


@get("/training/lessons/{lesson_id:int}/edit", guards=[requires_staff], name="training_lesson_edit")
async def lesson_edit(lesson_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    lesson, course = await CourseService(session=db_session).lesson_and_course(actor, lesson_id)
    return Template(
        "training/lesson_form.html",
        context={"values": _lesson_values(lesson), "errors": {}, **_lesson_form(actor, course, lesson)},
    )


@post("/training/lessons/{lesson_id:int}/edit", guards=[requires_staff], request_max_body_size=LESSON_UPLOAD_LIMIT)
async def lesson_update(
    lesson_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    courses = CourseService(session=db_session)
    lesson, course = await courses.lesson_and_course(actor, lesson_id)
    try:
        await courses.update_lesson(actor, lesson_id, _lesson_fields(form))
        await _attach_upload(form, courses, actor, lesson, settings)
    except DomainError as exc:
        return form_error(
            "training/lesson_form.html", exc, db_session, form=form, **_lesson_form(actor, course, lesson)
        )
    notify(request, i18n.gettext_(N_("Saved.")))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


@post("/training/lessons/{lesson_id:int}/move", guards=[requires_staff])
async def lesson_move(
    lesson_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    form = await read_form(request)
    lesson = await CourseService(session=db_session).move_lesson(
        actor, lesson_id, -1 if form.get("step") == "up" else 1
    )
    return Redirect(f"/training/courses/{lesson.course_id}#lesson-{lesson.id}", status_code=303)


@post("/training/lessons/{lesson_id:int}/delete", guards=[requires_staff])
async def lesson_delete(
    lesson_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    courses = CourseService(session=db_session)
    lesson = await courses.lesson_for(actor, lesson_id)
    title = lesson.title
    course = await courses.remove_lesson(actor, lesson_id)
    notify(request, i18n.gettext_(N_("Lesson %(title)s removed."), title=title))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


# --- cohorts ------------------------------------------------------------------------------------------------


@post("/training/courses/{course_id:int}/cohorts", guards=[requires_staff])
async def cohort_create(
    course_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        cohort = await CohortService(session=db_session).create_cohort(
            actor,
            course_id=course_id,
            name=str(form.get("name") or ""),
            starts_on=_day(form, "starts_on", required=True),
            ends_on=_day(form, "ends_on", required=False),
        )
    except DomainError as exc:
        context = await _course_context(actor, db_session, course_id)
        typed = {k: v for k, v in form.items() if k in ("name", "starts_on", "ends_on") and isinstance(v, str)}
        context["cohort_values"] = typed
        return form_error("training/course.html", exc, db_session, form=_course_values(context["course"]), **context)
    notify(request, i18n.gettext_(N_("%(cohort)s opened. Now enrol its trainees."), cohort=cohort.name))
    return Redirect(f"/training/cohorts/{cohort.id}", status_code=303)


async def _cohort_context(actor: Actor, db_session: DbSession, cohort_id: int) -> dict[str, Any]:
    now = utcnow()
    cohorts = CohortService(session=db_session)
    cohort, rows, classes = await cohorts.dashboard(actor, cohort_id, now)
    risks = {row.enrollment.id: row.risks(now) for row in rows}
    return {
        "cohort": cohort,
        "course": cohort.course,
        "rows": rows,
        "risks": risks,
        "at_risk_count": sum(1 for reasons in risks.values() if reasons),
        "completed_count": sum(1 for row in rows if row.completed),
        "classes": classes,
        "now": now,
        "candidates": await cohorts.trainees_to_enroll(cohort),
        "lengths": class_length_options(),
        "user": actor,
        **helpers(),
    }


def _cohort_values() -> dict[str, str]:
    tomorrow = to_local(utcnow()).replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return {"starts_at": tomorrow.strftime("%Y-%m-%dT%H:%M"), "length": str(DEFAULT_CLASS_MINUTES)}


@get("/training/cohorts/{cohort_id:int}", guards=[requires_staff], name="training_cohort")
async def cohort_page(cohort_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    """The dashboard: each trainee's progress, who is at risk, the classes, and the forms to add to them."""
    context = await _cohort_context(actor, db_session, cohort_id)
    return Template("training/cohort.html", context={"values": _cohort_values(), "errors": {}, **context})


async def _cohort_form_error(
    exc: DomainError, actor: Actor, db_session: DbSession, cohort_id: int, form: Any
) -> Template:
    context = await _cohort_context(actor, db_session, cohort_id)
    typed = {**_cohort_values(), **form_values(form)}
    typed.pop("password", None)
    return form_error("training/cohort.html", exc, db_session, form=typed, **context)


@post("/training/cohorts/{cohort_id:int}/enroll", guards=[requires_staff])
async def cohort_enroll(
    cohort_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template | Redirect:
    form = await read_form(request)
    try:
        enrollment = await CohortService(session=db_session).enroll(actor, cohort_id, _whole(form, "user_id"))
    except DomainError as exc:
        return await _cohort_form_error(exc, actor, db_session, cohort_id, form)
    notify(request, i18n.gettext_(N_("%(trainee)s is enrolled."), trainee=enrollment.user.name))
    return Redirect(f"/training/cohorts/{cohort_id}", status_code=303)


@post("/training/cohorts/{cohort_id:int}/trainees", guards=[requires_staff])
async def cohort_add_trainee(
    cohort_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, hasher: Hasher
) -> Template | Redirect:
    form = await read_form(request)
    try:
        enrollment = await CohortService(session=db_session).register_and_enroll(
            actor,
            hasher,
            cohort_id,
            display_name=str(form.get("display_name") or ""),
            phone=str(form.get("phone") or ""),
            password=str(form.get("password") or ""),
        )
    except DomainError as exc:
        return await _cohort_form_error(exc, actor, db_session, cohort_id, form)
    notify(
        request,
        i18n.gettext_(
            N_("%(trainee)s is enrolled and logs in with the phone number %(username)s."),
            trainee=enrollment.user.name,
            username=enrollment.user.username,
        ),
    )
    return Redirect(f"/training/cohorts/{cohort_id}", status_code=303)


@post("/training/cohorts/{cohort_id:int}/enrollments/{user_id:int}/remove", guards=[requires_staff])
async def cohort_remove_trainee(
    cohort_id: IdPath, user_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    await CohortService(session=db_session).unenroll(actor, cohort_id, user_id)
    notify(request, i18n.gettext_(N_("Taken out of the cohort. Their lessons stay on record.")))
    return Redirect(f"/training/cohorts/{cohort_id}", status_code=303)


# --- classes ------------------------------------------------------------------------------------------------


def _class_fields(form: Any) -> dict[str, Any]:
    """The class form's topic, place and times (raises InvalidInput for a time that does not read)."""
    starts, ends = _class_times(form)
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
        return await _cohort_form_error(exc, actor, db_session, cohort_id, form)
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


# --- certificates -------------------------------------------------------------------------------------------


@post("/training/certificates/{certificate_id:int}/revoke", guards=[requires_staff])
async def certificate_revoke(
    certificate_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    form = await read_form(request)
    revoked = form.get("revoked") == "1"
    certificate = await CertificateService(session=db_session).set_revoked(actor, certificate_id, revoked)
    message = N_("Certificate %(code)s withdrawn.") if revoked else N_("Certificate %(code)s is valid again.")
    notify(request, i18n.gettext_(message, code=certificate.code))
    enrollment = await CohortService(session=db_session).enrollment_of(certificate.cohort_id, certificate.user_id)
    target = f"/training/enrollments/{enrollment.id}" if enrollment else f"/training/cohorts/{certificate.cohort_id}"
    return Redirect(target, status_code=303)


ROUTES = [
    import_starter,
    course_new,
    course_create,
    course_page,
    course_update,
    course_publish,
    lesson_new,
    lesson_create,
    lesson_edit,
    lesson_update,
    lesson_move,
    lesson_delete,
    cohort_create,
    cohort_page,
    cohort_enroll,
    cohort_add_trainee,
    cohort_remove_trainee,
    class_create,
    class_edit,
    class_update,
    class_cancel,
    class_attendance,
    class_qr,
    certificate_revoke,
]
