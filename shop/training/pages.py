"""Pages for trainees (their courses, lessons, classes and check-in, progress, certificate) and the public
certificate check. The secretary's pages are in ``staff_courses``, ``staff_cohorts`` and ``staff_classes``;
``ROUTES`` lists them all."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromQuery, PathParameter
from litestar.response import File, Redirect, Template

from shop import i18n
from shop.errors import N_, DomainError, InvalidInput
from shop.markdown import render_markdown
from shop.streams.models import STATUS_LABELS, StreamStatus
from shop.timeutil import utcnow
from shop.training import staff_classes, staff_cohorts, staff_courses
from shop.training.classes import ClassService
from shop.training.courses import CourseService
from shop.training.display import helpers
from shop.training.files import lesson_file_path, lesson_files_dir
from shop.training.progress import CertificateService, TrainingProgress
from shop.villages.services import VillageService
from shop.web.auth import PUBLIC, requires_user
from shop.web.deps import Actor, AppSettings, DbSession
from shop.web.forms import form_error, notify, read_form
from shop.web.links import public_base
from shop.web.params import IdPath

# Codes typed or scanned from paper: anything odd is answered by the page itself, not by a validation error.
CodePath = Annotated[str, PathParameter(max_length=64)]


def _stream_labels() -> dict[str, str]:
    return {str(status): i18n.translate(label) for status, label in STATUS_LABELS.items()}


# --- the trainee's home --------------------------------------------------------------------------------


@get("/training", guards=[requires_user], name="training_home")
async def training_home(actor: Actor, db_session: DbSession) -> Template:
    """A trainee's courses, next lesson, next class and practice streams; staff get their training desk."""
    if actor.is_staff:
        return await staff_courses.training_desk(actor, db_session)
    now = utcnow()
    home = await TrainingProgress(db_session).trainee_home(actor, now)
    return Template(
        "training/home.html",
        context={
            "home": home,
            "check_in_open": home.next_class is not None and ClassService.check_in_open(home.next_class, now),
            "stream_labels": _stream_labels(),
            "ended": StreamStatus.ENDED.value,
            "user": actor,
            **helpers(),
        },
    )


# --- lessons ----------------------------------------------------------------------------------------------


@get("/training/lessons/{lesson_id:int}", guards=[requires_user], name="training_lesson")
async def lesson_page(lesson_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    courses = CourseService(session=db_session)
    lesson, course = await courses.lesson_and_course(actor, lesson_id)
    ordered = list(course.lessons)
    index = ordered.index(lesson)
    done = False
    if not actor.is_staff:
        done = lesson.id in await TrainingProgress(db_session).lessons_done(actor.id, [lesson.id])
    return Template(
        "training/lesson.html",
        context={
            "lesson": lesson,
            "course": course,
            "body": render_markdown(lesson.body_md),
            "number": index + 1,
            "total": len(ordered),
            "previous": ordered[index - 1] if index > 0 else None,
            "next": ordered[index + 1] if index + 1 < len(ordered) else None,
            "done": done,
            "user": actor,
            **helpers(),
        },
    )


@post("/training/lessons/{lesson_id:int}/done", guards=[requires_user])
async def lesson_done(
    lesson_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Redirect:
    _mark, progress = await CourseService(session=db_session).complete_lesson(actor, lesson_id)
    for entry in progress:
        standing = entry.standing
        notify(
            request,
            i18n.gettext_(
                N_("Well done! %(done)d of %(total)d lessons finished."),
                done=standing.lessons_done,
                total=standing.lessons_total,
            ),
        )
        if entry.completed:
            notify(request, i18n.gettext_(N_("You have met every requirement: your certificate is ready.")))
    course_id = progress[0].course.id if progress else 0
    return Redirect(f"/training#course-{course_id}", status_code=303)


@get("/training/lessons/{lesson_id:int}/file", guards=[requires_user], name="training_lesson_file")
async def lesson_file(lesson_id: IdPath, actor: Actor, db_session: DbSession, settings: AppSettings) -> File:
    lesson = await CourseService(session=db_session).lesson_for(actor, lesson_id)
    if not lesson.file_key:
        raise InvalidInput("file", N_("This lesson has no attached file."))
    return File(
        path=lesson_file_path(lesson_files_dir(settings.var_dir), lesson.file_key),
        filename=lesson.file_name,
        media_type="application/pdf",
        content_disposition_type="attachment",
    )


# --- classes and check-in ---------------------------------------------------------------------------------


@get("/training/classes/{class_id:int}", guards=[requires_user], name="training_class")
async def class_page(class_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    """Staff: the roll to take on the phone. Trainees: when and where, their mark, and the check-in."""
    training_class = await ClassService(session=db_session).get_for(actor, class_id)
    context = await staff_classes.class_context(actor, db_session, training_class)
    return Template("training/class.html", context={"values": {}, "errors": {}, **context})


async def _check_in_page(actor: Actor, db_session: DbSession, class_id: int, code: str) -> Template:
    training_class = await ClassService(session=db_session).check_in_target(actor, class_id)
    return Template(
        "training/check_in.html",
        context={
            "cls": training_class,
            "open": ClassService.check_in_open(training_class, utcnow()),
            "values": {"code": code},
            "errors": {},
            "user": actor,
            **helpers(),
        },
    )


@get("/training/classes/{class_id:int}/check-in", guards=[requires_user], name="training_check_in")
async def check_in_form(class_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    """Type the six digits shown on the secretary's screen."""
    return await _check_in_page(actor, db_session, class_id, "")


@get("/training/classes/{class_id:int}/check-in/{code:str}", guards=[requires_user], name="training_check_in_qr")
async def check_in_scanned(class_id: IdPath, code: CodePath, actor: Actor, db_session: DbSession) -> Template:
    """Where the QR code leads: one big button confirms (a scan alone changes nothing)."""
    return await _check_in_page(actor, db_session, class_id, code if code.isdigit() and len(code) == 6 else "")


@post("/training/classes/{class_id:int}/check-in", guards=[requires_user])
async def check_in_submit(
    class_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession, settings: AppSettings
) -> Template | Redirect:
    form = await read_form(request)
    classes = ClassService(session=db_session)
    try:
        mark = await classes.check_in(actor, settings.secret_key, class_id, str(form.get("code") or ""))
    except DomainError as exc:
        training_class = await classes.check_in_target(actor, class_id)
        return form_error(
            "training/check_in.html",
            exc,
            db_session,
            form={"code": ""},
            cls=training_class,
            open=ClassService.check_in_open(training_class, utcnow()),
            user=actor,
            **helpers(),
        )
    message = N_("Checked in: you are late, but you are here.") if mark.status == "late" else N_("Checked in. Welcome!")
    notify(request, i18n.gettext_(message))
    return Redirect(f"/training/classes/{class_id}", status_code=303)


# --- one trainee's progress and certificate ---------------------------------------------------------------


async def _enrollment_context(actor: Actor, db_session: DbSession, enrollment_id: int) -> dict[str, Any]:
    progress_service = TrainingProgress(db_session)
    enrollment = await progress_service.enrollment_for(actor, enrollment_id)
    progress = await progress_service.progress_of(enrollment)
    village = await VillageService(session=db_session).get_public(enrollment.cohort.village_id)
    return {"progress": progress, "enrollment": enrollment, "village": village, "user": actor, **helpers()}


@get("/training/enrollments/{enrollment_id:int}", guards=[requires_user], name="training_enrollment")
async def enrollment_page(enrollment_id: IdPath, actor: Actor, db_session: DbSession) -> Template:
    """Lessons done, each class's mark, practice streams and what is still missing; for the trainee and staff."""
    context = await _enrollment_context(actor, db_session, enrollment_id)
    progress_service = TrainingProgress(db_session)
    enrollment = context["enrollment"]
    return Template(
        "training/enrollment.html",
        context={
            **context,
            "classes": await progress_service.class_record(enrollment.cohort, enrollment.user_id),
            "streams": await progress_service.practice_streams(enrollment.cohort, enrollment.user_id),
            "stream_labels": _stream_labels(),
            "ended": StreamStatus.ENDED.value,
            "now": utcnow(),
        },
    )


@get("/training/enrollments/{enrollment_id:int}/certificate", guards=[requires_user], name="training_certificate")
async def certificate_page(
    enrollment_id: IdPath, request: Request[Any, Any, Any], actor: Actor, db_session: DbSession
) -> Template:
    """The printable A4 certificate once issued; before that, a draft saying what is still missing."""
    context = await _enrollment_context(actor, db_session, enrollment_id)
    certificate = context["progress"].certificate
    verify_url = f"{public_base(request)}/certificates/{certificate.code}" if certificate else ""
    return Template("training/certificate.html", context={**context, "verify_url": verify_url})


# --- the public certificate check ------------------------------------------------------------------------


@get("/certificates", opt=PUBLIC, name="certificate_lookup")
async def certificate_lookup(code: FromQuery[str | None] = None) -> Template | Redirect:
    """Type the code printed on a certificate to check it."""
    typed = (code or "").strip().upper()
    if typed.isalnum() and len(typed) <= 16:
        return Redirect(f"/certificates/{typed}", status_code=303)
    return Template(
        "training/verify.html", context={"certificate": None, "code": code or "", "user": None, **helpers()}
    )


@get("/certificates/{code:str}", opt=PUBLIC, name="certificate_verify")
async def certificate_verify(code: CodePath, db_session: DbSession) -> Template:
    """Anyone may check a certificate: it shows the holder's name, the course, the cohort and the date, no more."""
    try:
        certificate = await CertificateService(session=db_session).verify(code)
    except DomainError:
        return Template(
            "training/verify.html",
            context={"certificate": None, "code": code, "user": None, **helpers()},
            status_code=404,
        )
    return Template(
        "training/verify.html", context={"certificate": certificate, "code": code, "user": None, **helpers()}
    )


ROUTES = [
    training_home,
    lesson_page,
    lesson_done,
    lesson_file,
    class_page,
    check_in_form,
    check_in_scanned,
    check_in_submit,
    enrollment_page,
    certificate_page,
    certificate_lookup,
    certificate_verify,
    *staff_courses.ROUTES,
    *staff_cohorts.ROUTES,
    *staff_classes.ROUTES,
]
