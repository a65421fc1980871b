"""What the secretary's SMS page shows: this month's messages of the village by kind, the failures with
what to do about each, the households that switched SMS off, and the kinds with no template code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shop.accounts.models import User
from shop.errors import N_
from shop.privacy import mask_phone
from shop.settings import Settings
from shop.sms.models import SmsKind, SmsMessage, SmsStatus
from shop.sms.services import INACTIVE, NO_PHONE, OPTED_OUT, TOO_LATE
from shop.streams.models import Guest
from shop.timeutil import SHANGHAI, to_local
from shop.villages.models import Household

KIND_LABELS = {
    SmsKind.STREAM_REMINDER.value: N_("Stream reminder (guests)"),
    SmsKind.CLASS_REMINDER.value: N_("Class reminder (trainees)"),
    SmsKind.PAYOUT.value: N_("Payout made (households)"),
    SmsKind.DAILY_SALES.value: N_("Daily sales digest (households)"),
    SmsKind.CASE_NEW.value: N_("New case (handlers)"),
    SmsKind.CASE_UPDATE.value: N_("Case answered or passed up (households)"),
    SmsKind.CASE_DEADLINE.value: N_("Case due tomorrow (handlers)"),
    SmsKind.TEST.value: N_("Test message"),
}
# What the secretary can do about a failure, by the provider's code or our reason.
ADVICE = {
    "isv.MOBILE_NUMBER_ILLEGAL": N_("The number is not a valid mobile number: correct it on the household's page."),
    "isv.SMS_TEMPLATE_ILLEGAL": N_("The template code is not approved: ask the county operator to check it."),
    "isv.SMS_SIGNATURE_ILLEGAL": N_("The signature is not approved: ask the county operator to check it."),
    "isv.TEMPLATE_MISSING_PARAMETERS": N_("The template does not match the message: ask the county operator."),
    "isv.AMOUNT_NOT_ENOUGH": N_("The SMS account is out of credit: ask the county operator to top it up."),
    "isv.DAY_LIMIT_CONTROL": N_("The provider's limit for this number today was reached: it goes tomorrow."),
    "isv.BLACK_KEY_CONTROL_LIMIT": N_("The provider blocked a word in the message: ask the county operator."),
    "InvalidAccessKeyId.NotFound": N_("The SMS access key is wrong: ask the county operator."),
    "SignatureDoesNotMatch": N_("The SMS access key secret is wrong: ask the county operator."),
    NO_PHONE: N_("No phone number: add one on the household's page (staff: on their account page)."),
    INACTIVE: N_("The recipient is no longer active."),
    TOO_LATE: N_("Held past the start of the stream or class, so not sent."),
}
DEFAULT_ADVICE = N_("The provider refused it; tried again automatically where it made sense. Ask the county operator.")


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    template_code: str
    sent: int
    waiting: int
    failed: int
    skipped: int


@dataclass(frozen=True)
class FailureRow:
    at: datetime
    kind_label: str
    recipient: str
    phone: str
    code: str
    message: str
    advice: str


@dataclass(frozen=True)
class MonthReport:
    month: str
    provider: str
    kinds: list[KindRow]
    failures: list[FailureRow]
    opted_out: list[Household]
    unconfigured: list[str]
    opted_out_skips: int


def month_bounds(now: datetime) -> tuple[datetime, datetime, str]:
    local = to_local(now)
    start = datetime(local.year, local.month, 1, tzinfo=SHANGHAI)
    end = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=SHANGHAI)
    return start, end, f"{local.year}-{local.month:02d}"


async def _recipient_label(session: AsyncSession, message: SmsMessage) -> str:
    if message.recipient_kind == "household":
        household = await session.get(Household, message.recipient_id)
        return f"{household.code} {household.head_name}" if household else "—"
    if message.recipient_kind == "user":
        user = await session.get(User, message.recipient_id)
        return user.name if user else "—"
    guest = await session.get(Guest, message.recipient_id)
    return guest.name if guest else "—"


async def month_report(session: AsyncSession, settings: Settings, village_id: int, now: datetime) -> MonthReport:
    start, end, month = month_bounds(now)
    in_month = (SmsMessage.village_id == village_id, SmsMessage.created_at >= start, SmsMessage.created_at < end)
    counted = await session.execute(
        select(SmsMessage.kind, SmsMessage.status, SmsMessage.error_code, func.count())
        .where(*in_month)
        .group_by(SmsMessage.kind, SmsMessage.status, SmsMessage.error_code)
    )
    tally: dict[str, dict[str, int]] = {k.value: {"sent": 0, "waiting": 0, "failed": 0, "skipped": 0} for k in SmsKind}
    opted_out_skips = 0
    for kind, status, code, n in counted:
        bucket = tally.setdefault(kind, {"sent": 0, "waiting": 0, "failed": 0, "skipped": 0})
        if status == SmsStatus.SENT.value:
            bucket["sent"] += n
        elif status in (SmsStatus.PENDING.value, SmsStatus.CLAIMED.value):
            bucket["waiting"] += n
        elif status == SmsStatus.FAILED.value:
            bucket["failed"] += n
        else:
            bucket["skipped"] += n
            opted_out_skips += n if code == OPTED_OUT else 0
    templates = settings.sms_templates
    kinds = [
        KindRow(kind, KIND_LABELS.get(kind, kind), templates.get(kind, ""), **counts) for kind, counts in tally.items()
    ]
    failing = await session.execute(
        select(SmsMessage)
        .where(
            *in_month,
            (SmsMessage.status == SmsStatus.FAILED.value)
            | (
                (SmsMessage.status == SmsStatus.SKIPPED.value)
                & SmsMessage.error_code.in_([NO_PHONE, INACTIVE, TOO_LATE])
            ),
        )
        .order_by(SmsMessage.updated_at.desc(), SmsMessage.id.desc())
        .limit(50)
    )
    failures = [
        FailureRow(
            at=message.updated_at,
            kind_label=KIND_LABELS.get(message.kind, message.kind),
            recipient=await _recipient_label(session, message),
            phone=mask_phone(message.phone),
            code=message.error_code,
            message=message.error_message,
            advice=ADVICE.get(message.error_code, DEFAULT_ADVICE),
        )
        for message in failing.scalars()
    ]
    opted_out = list(
        (
            await session.execute(
                select(Household)
                .where(Household.village_id == village_id, Household.sms_opt_out.is_(True))
                .order_by(Household.code)
            )
        ).scalars()
    )
    unconfigured = [KIND_LABELS[k.value] for k in SmsKind if not templates.get(k.value)]
    return MonthReport(month, settings.sms_provider, kinds, failures, opted_out, unconfigured, opted_out_skips)
