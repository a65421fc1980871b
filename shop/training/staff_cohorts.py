"""The secretary's cohort pages: open a cohort, enrol and remove trainees, watch who is at risk; and withdraw or
restore a certificate.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from shop import i18n
from shop.errors import N_, DomainError
from shop.timeutil import to_local, utcnow
from shop.training.cohorts import CohortService
from shop.training.display import class_length_options, helpers
from shop.training.progress import CertificateService
from shop.training.staff_courses import course_context, course_values
from shop.training.staff_forms import DEFAULT_CLASS_MINUTES, form_day, whole_number
from shop.web.auth import requires_staff
from shop.web.deps import Actor, DbSession, Hasher
from shop.web.forms import form_error, form_values, notify, read_form
from shop.web.params import IdPath


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
            starts_on=form_day(form, "starts_on", required=True),
            ends_on=form_day(form, "ends_on", required=False),
        )
    except DomainError as exc:
        context = await course_context(actor, db_session, course_id)
        typed = {k: v for k, v in form.items() if k in ("name", "starts_on", "ends_on") and isinstance(v, str)}
        context["cohort_values"] = typed
        return form_error("training/course.html", exc, db_session, form=course_values(context["course"]), **context)
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


async def cohort_form_error(
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
        enrollment = await CohortService(session=db_session).enroll(actor, cohort_id, whole_number(form, "user_id"))
    except DomainError as exc:
        return await cohort_form_error(exc, actor, db_session, cohort_id, form)
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
        return await cohort_form_error(exc, actor, db_session, cohort_id, form)
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
    cohort_create,
    cohort_page,
    cohort_enroll,
    cohort_add_trainee,
    cohort_remove_trainee,
    certificate_revoke,
]
