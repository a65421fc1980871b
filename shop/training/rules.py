"""The completion rule and the at-risk rule, as plain arithmetic over what a trainee has done.

Attendance, precisely:

* The classes that count are the cohort's classes that were not cancelled, past and upcoming alike.
* Present and late both count as attended.
* An excused absence (请假) counts neither for nor against the trainee: that class leaves the count.
* A class that has ended without the trainee being marked present, late or excused is a missed class.
* The rule "attendance at least N %" is met when attended × 100 ≥ N × (classes − excused), i.e. the
  trainee attended at least ⌈N % of the classes they were not excused from⌉. Upcoming classes are part
  of the count, so nobody finishes before the classes are held; but once enough are attended the rule
  is met, even with classes still to come. A cohort without classes meets it trivially.
* "Attendance so far" (shown to people) is attended ÷ (attended + missed): excused and upcoming classes
  are left out of it.

At risk (shown on the cohort dashboard, not for trainees who already hold the certificate):

* missed two or more classes; or
* can no longer reach the attendance rule even by attending every class still to come; or
* lessons stalled: lessons are left and no lesson was marked done for 7 days or more (counted from
  the last lesson done, or from enrolment / the cohort's start when none is done yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shop.errors import N_
from shop.timeutil import as_utc

ATTENDED = frozenset({"present", "late"})
STALLED_AFTER = timedelta(days=7)
MISSED_CLASSES_AT_RISK = 2


@dataclass(frozen=True, slots=True)
class CompletionRule:
    require_all_lessons: bool = True
    min_attendance_percent: int = 80
    min_practice_streams: int = 1


@dataclass(frozen=True, slots=True)
class ClassSlot:
    """One class of the cohort as the rule sees it."""

    class_id: int
    ends_at: datetime
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class AttendanceTally:
    scheduled: int  # classes not cancelled, past and upcoming
    attended: int  # present or late
    late: int
    excused: int
    missed: int  # ended without present, late or excused
    upcoming: int  # not ended yet and not marked

    @property
    def counted(self) -> int:
        """The classes the rule measures against: every class the trainee was not excused from."""
        return self.scheduled - self.excused

    @property
    def percent_so_far(self) -> int | None:
        taken = self.attended + self.missed
        return None if taken == 0 else self.attended * 100 // taken

    def required(self, min_percent: int) -> int:
        """How many classes must be attended: ⌈min_percent % of the counted classes⌉."""
        return -(-min_percent * self.counted // 100)

    def meets(self, min_percent: int) -> bool:
        return self.attended * 100 >= min_percent * self.counted

    def still_reachable(self, min_percent: int) -> bool:
        return (self.attended + self.upcoming) * 100 >= min_percent * self.counted


def tally_attendance(classes: Iterable[ClassSlot], statuses: Mapping[int, str], now: datetime) -> AttendanceTally:
    """Count one trainee's attendance; ``statuses`` maps class id → the recorded status."""
    scheduled = attended = late = excused = missed = upcoming = 0
    moment = as_utc(now)
    for slot in classes:
        if slot.cancelled:
            continue
        scheduled += 1
        status = statuses.get(slot.class_id)
        if status in ATTENDED:
            attended += 1
            late += status == "late"
        elif status == "excused":
            excused += 1
        elif as_utc(slot.ends_at) <= moment:
            missed += 1
        else:
            upcoming += 1
    return AttendanceTally(scheduled, attended, late, excused, missed, upcoming)


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What is still missing for the certificate, as a msgid with its numbers."""

    key: str
    message: str
    params: dict[str, int]


@dataclass(frozen=True, slots=True)
class Standing:
    """Where one trainee stands in one cohort."""

    lessons_done: int
    lessons_total: int
    attendance: AttendanceTally
    practice_hosted: int
    last_activity_at: datetime

    @property
    def percent(self) -> int:
        """Lessons done, in whole percent (rounded down: 100 only when every lesson is done)."""
        if self.lessons_total == 0:
            return 0
        return min(100, self.lessons_done * 100 // self.lessons_total)

    @property
    def lessons_left(self) -> int:
        return max(0, self.lessons_total - self.lessons_done)

    def shortfalls(self, rule: CompletionRule) -> list[Shortfall]:
        missing: list[Shortfall] = []
        if rule.require_all_lessons and self.lessons_left:
            missing.append(Shortfall("lessons", N_("%(n)d lesson(s) still to finish"), {"n": self.lessons_left}))
        if rule.min_attendance_percent and not self.attendance.meets(rule.min_attendance_percent):
            need = self.attendance.required(rule.min_attendance_percent) - self.attendance.attended
            missing.append(
                Shortfall(
                    "attendance",
                    N_("%(n)d more class(es) to attend (at least %(percent)d%% of the classes)"),
                    {"n": need, "percent": rule.min_attendance_percent},
                )
            )
        if self.practice_hosted < rule.min_practice_streams:
            missing.append(
                Shortfall(
                    "practice",
                    N_("%(n)d more practice stream(s) to host"),
                    {"n": rule.min_practice_streams - self.practice_hosted},
                )
            )
        return missing

    def meets(self, rule: CompletionRule) -> bool:
        return not self.shortfalls(rule)

    def risks(self, rule: CompletionRule, now: datetime) -> list[Shortfall]:
        found: list[Shortfall] = []
        if self.attendance.missed >= MISSED_CLASSES_AT_RISK:
            found.append(Shortfall("missed", N_("missed %(n)d classes"), {"n": self.attendance.missed}))
        if rule.min_attendance_percent and not self.attendance.still_reachable(rule.min_attendance_percent):
            found.append(
                Shortfall(
                    "unreachable",
                    N_("can no longer reach %(percent)d%% attendance"),
                    {"percent": rule.min_attendance_percent},
                )
            )
        idle = as_utc(now) - as_utc(self.last_activity_at)
        if self.lessons_left and idle >= STALLED_AFTER:
            found.append(Shortfall("stalled", N_("no lesson done for %(n)d days"), {"n": idle.days}))
        return found
