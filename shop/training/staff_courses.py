"""The secretary's training desk, and the pages that write and publish courses and their lessons."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from shop import i18n
from shop.errors import N_, DomainError
from shop.paging import Paging
from shop.timeutil import local_today
from shop.training.cohorts import CohortService
from shop.training.content import STARTER_KEY, import_starter_course
from shop.training.courses import CourseService
from shop.training.display import helpers
from shop.training.files import MAX_LESSON_FILE_BYTES, lesson_files_dir, store_lesson_file
from shop.training.models import Course, Lesson
from shop.training.staff_forms import LIST_LIMIT, form_rule, lesson_fields, optional_village, village_options
from shop.web.auth import requires_staff
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, notify, read_form
from shop.web.params import IdPath


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
            "village_options": await village_options(actor, db_session),
            "values": {},
            "errors": {},
            "user": actor,
        },
    )


@post("/training/courses/import-starter", guards=[requires_staff])
async def import_starter(request: Request[Any, Any, Any], actor: Actor, db_session: DbSession) -> Redirect:
    form = await read_form(request)
    village_id = actor.target_village(optional_village(form))
    course, created = await import_starter_course(db_session, actor, village_id)
    message = N_("The starter course %(title)s is ready.") if created else N_("%(title)s was already loaded.")
    notify(request, i18n.gettext_(message, title=course.title))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


async def _course_form_context(actor: Actor, db_session: DbSession) -> dict[str, Any]:
    return {"course": None, "village_options": await village_options(actor, db_session), "user": actor}


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
            rule=form_rule(form),
            village_id=optional_village(form),
        )
    except DomainError as exc:
        context = await _course_form_context(actor, db_session)
        return form_error("training/course_form.html", exc, db_session, form=form, **context)
    notify(request, i18n.gettext_(N_("Course created. Now add its lessons.")))
    return Redirect(f"/training/courses/{course.id}", status_code=303)


def course_values(course: Course) -> dict[str, str]:
    return {
        "title": course.title,
        "description": course.description,
        "require_all_lessons": "on" if course.require_all_lessons else "",
        "min_attendance_percent": str(course.min_attendance_percent),
        "min_practice_streams": str(course.min_practice_streams),
    }


async def course_context(actor: Actor, db_session: DbSession, course_id: int) -> dict[str, Any]:
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
    context = await course_context(actor, db_session, course_id)
    return Template(
        "training/course.html", context={"values": course_values(context["course"]), "errors": {}, **context}
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
            rule=form_rule(form),
        )
    except DomainError as exc:
        context = await course_context(actor, db_session, course_id)
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
        context = await course_context(actor, db_session, course_id)
        return form_error("training/course.html", exc, db_session, form=course_values(context["course"]), **context)
    message = N_("%(title)s is published: enrolled trainees see it.") if published else N_("%(title)s is hidden.")
    notify(request, i18n.gettext_(message, title=course.title))
    return Redirect(f"/training/courses/{course_id}", status_code=303)


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
        lesson = await courses.add_lesson(actor, course_id, lesson_fields(form))
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
        await courses.update_lesson(actor, lesson_id, lesson_fields(form))
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
]
