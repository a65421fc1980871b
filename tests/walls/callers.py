"""The callers of the walls test (the table's columns): who they are, whose records are theirs, whose are
another's, and whose households and buyers they may ever see named in an answer."""

from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS = "anonymous"
HOUSEHOLD = "household"
TRAINEE = "trainee"
SECRETARY = "secretary"
ADMIN = "admin"
TOWNSHIP = "township"  # the officer of 东大道乡 (villages a and b); village c lies in another township
COUNTY = "county"  # the supervisor of 朝阳县 (every village of the world)


@dataclass(frozen=True)
class Scope:
    """Whose records a request names: a village's records, one household of it, one person's own things
    (their inbox entries, their enrolment when they are a trainee)."""

    village: str
    household: str
    person: str | None

    def __str__(self) -> str:
        return f"village {self.village}, household {self.household}, person {self.person or '-'}"


@dataclass(frozen=True)
class Caller:
    role: str
    principal: str | None  # the world's name for them (None: not signed in)
    own: Scope
    others: tuple[Scope, ...]  # records that must stay walled from them although they reach the route
    may_see: frozenset[str]  # households ("a1") and villages' buyers ("buyers:a") they may see named

    @property
    def label(self) -> str:
        return self.principal or self.role


CALLERS = (
    Caller(ANONYMOUS, None, Scope("a", "a1", None), (), frozenset()),
    Caller(
        HOUSEHOLD,
        "household_a1",
        Scope("a", "a1", "household_a1"),
        (Scope("a", "a2", "household_a2"), Scope("b", "b1", "household_b1")),
        frozenset({"a1"}),
    ),
    Caller(
        TRAINEE,
        "trainee_a",
        Scope("a", "a1", "trainee_a"),
        (Scope("a", "a1", "spare_trainee_a"), Scope("b", "b1", "trainee_b")),
        frozenset(),
    ),
    # The secretary's own household is a2 (a PIN reset must not end household a1's session, which the
    # household caller uses).
    Caller(
        SECRETARY,
        "secretary_a",
        Scope("a", "a2", "secretary_a"),
        (Scope("b", "b2", "secretary_b"), Scope("c", "c2", "secretary_c")),
        frozenset({"a1", "a2", "buyers:a"}),
    ),
    # Officers see the households of their villages (on a case) and no buyer.
    Caller(
        TOWNSHIP,
        "township_a",
        Scope("a", "a1", "township_a"),
        (Scope("c", "c1", "township_c"),),
        frozenset({"a1", "a2", "b1", "b2"}),
    ),
    Caller(COUNTY, "county", Scope("a", "a1", "county"), (), frozenset({"a1", "a2", "b1", "b2", "c1", "c2"})),
    # The admin works in village b, so that what the secretary changes in a does not meet it.
    Caller(
        ADMIN,
        "admin",
        Scope("b", "b2", "admin"),
        (),
        frozenset({"a1", "a2", "b1", "b2", "c1", "c2", "buyers:a", "buyers:b", "buyers:c"}),
    ),
)
