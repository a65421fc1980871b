"""The completion and at-risk rules as arithmetic: attendance with excused absences, lessons, practice streams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shop.training.rules import ClassSlot, CompletionRule, Standing, tally_attendance

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)


def _classes(past: int, future: int = 0, cancelled: int = 0) -> list[ClassSlot]:
    slots = [ClassSlot(i, NOW - timedelta(days=past - i)) for i in range(past)]
    slots += [ClassSlot(100 + i, NOW + timedelta(days=i + 1)) for i in range(future)]
    slots += [ClassSlot(200 + i, NOW - timedelta(days=1), cancelled=True) for i in range(cancelled)]
    return slots


def _marks(*statuses: str) -> dict[int, str]:
    return {i: status for i, status in enumerate(statuses) if status}


def test_present_and_late_count_as_attended_and_unmarked_past_classes_as_missed() -> None:
    tally = tally_attendance(_classes(5), _marks("present", "late", "absent", "", "present"), NOW)
    assert (tally.attended, tally.late, tally.missed, tally.excused, tally.upcoming) == (3, 1, 2, 0, 0)
    assert tally.percent_so_far == 60


def test_excused_absences_leave_the_count_instead_of_counting_against() -> None:
    # 5 classes, 1 excused: the rule measures against 4, and 80 % of 4 is 3.2, so 4 must be attended.
    three = tally_attendance(_classes(5), _marks("present", "present", "present", "excused", "absent"), NOW)
    assert three.counted == 4
    assert three.required(80) == 4
    assert not three.meets(80)
    four = tally_attendance(_classes(5), _marks("present", "present", "present", "excused", "late"), NOW)
    assert four.meets(80)
    assert four.percent_so_far == 100
    # Without the excuse the same four attended classes are exactly 80 % of 5.
    absent = tally_attendance(_classes(5), _marks("present", "present", "present", "absent", "late"), NOW)
    assert absent.meets(80)
    assert absent.percent_so_far == 80


def test_an_excused_absence_is_better_than_an_absence_at_the_threshold() -> None:
    statuses = ("present", "present", "absent", "")
    with_excuse = tally_attendance(_classes(4), _marks(*statuses[:3], "excused"), NOW)
    without = tally_attendance(_classes(4), _marks(*statuses), NOW)
    assert with_excuse.meets(66)  # 2 of 3 counted
    assert not without.meets(66)  # 2 of 4


def test_upcoming_classes_count_so_nobody_finishes_before_enough_classes_are_held() -> None:
    tally = tally_attendance(_classes(1, future=4), _marks("present"), NOW)
    assert tally.upcoming == 4
    assert tally.required(80) == 4
    assert not tally.meets(80)
    assert tally.still_reachable(80)
    assert tally.percent_so_far == 100


def test_cancelled_classes_do_not_count_at_all() -> None:
    tally = tally_attendance(_classes(2, cancelled=3), _marks("present", "present"), NOW)
    assert tally.scheduled == 2
    assert tally.meets(100)


def test_a_cohort_without_classes_meets_any_attendance_rule() -> None:
    tally = tally_attendance([], {}, NOW)
    assert tally.meets(100)
    assert tally.percent_so_far is None


def _standing(done: int = 6, statuses: tuple[str, ...] = ("present",) * 4, hosted: int = 1, idle_days: int = 0):
    return Standing(
        lessons_done=done,
        lessons_total=6,
        attendance=tally_attendance(_classes(len(statuses)), _marks(*statuses), NOW),
        practice_hosted=hosted,
        last_activity_at=NOW - timedelta(days=idle_days),
    )


def test_the_rule_needs_every_part_and_names_what_is_missing() -> None:
    rule = CompletionRule(require_all_lessons=True, min_attendance_percent=75, min_practice_streams=2)
    assert _standing(hosted=2).meets(rule)
    missing = _standing(done=4, statuses=("present", "absent", "absent", "present"), hosted=1).shortfalls(rule)
    assert [(s.key, s.params) for s in missing] == [
        ("lessons", {"n": 2}),
        ("attendance", {"n": 1, "percent": 75}),
        ("practice", {"n": 1}),
    ]


def test_parts_switched_off_are_not_asked_for() -> None:
    rule = CompletionRule(require_all_lessons=False, min_attendance_percent=0, min_practice_streams=0)
    assert _standing(done=0, statuses=("absent",) * 4, hosted=0).meets(rule)


@pytest.mark.parametrize(("done", "percent"), [(0, 0), (1, 16), (3, 50), (5, 83), (6, 100)])
def test_lesson_percent_rounds_down_so_100_means_all(done: int, percent: int) -> None:
    assert _standing(done=done).percent == percent


def test_at_risk_after_two_missed_classes_or_when_the_rule_is_out_of_reach() -> None:
    rule = CompletionRule(min_attendance_percent=80, min_practice_streams=0)
    one_missed = _standing(statuses=("present", "absent", "present", "present", "present"))
    assert one_missed.risks(rule, NOW) == []
    two_missed = _standing(statuses=("present", "absent", "", "present", "present"))
    assert [r.key for r in two_missed.risks(rule, NOW)] == ["missed", "unreachable"]
    lenient = CompletionRule(min_attendance_percent=50, min_practice_streams=0)
    assert [r.key for r in two_missed.risks(lenient, NOW)] == ["missed"]


def test_lessons_stalled_for_seven_days_is_a_risk_only_while_lessons_are_left() -> None:
    rule = CompletionRule(min_attendance_percent=0, min_practice_streams=0)
    assert _standing(done=2, idle_days=6).risks(rule, NOW) == []
    stalled = _standing(done=2, idle_days=7).risks(rule, NOW)
    assert [(r.key, r.params) for r in stalled] == [("stalled", {"n": 7})]
    assert _standing(done=6, idle_days=30).risks(rule, NOW) == []
