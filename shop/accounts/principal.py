"""The authenticated caller as services see it, and the reach rules every service applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shop.errors import InvalidInput, NotFound, PermissionDenied

PrincipalRole = Literal["admin", "secretary", "trainee", "township", "county", "household"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: Literal["user", "household"]
    id: int
    role: PrincipalRole
    village_id: int | None
    name: str
    # A township officer's township and county, a county supervisor's county (as the villages spell them).
    township: str = ""
    county: str = ""
    # The account's credential generation when this principal was read (what a new session remembers).
    generation: int = 0

    @classmethod
    def system(cls) -> Principal:
        """The operator at the server's console (CLI, demo seeding): acts with an admin's reach."""
        return cls(kind="user", id=0, role="admin", village_id=None, name="system")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_secretary(self) -> bool:
        return self.role == "secretary"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "secretary")

    @property
    def is_officer(self) -> bool:
        """A township officer or the county supervisor: answers villagers' cases, keeps no village's books."""
        return self.role in ("township", "county")

    @property
    def household_id(self) -> int | None:
        return self.id if self.kind == "household" else None

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    def require_staff(self) -> None:
        if not self.is_staff:
            raise PermissionDenied()

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied()

    def village_filter(self) -> int | None:
        """The village a query must be limited to; ``None`` means every village (admin only). A principal
        without a village of its own (a township officer) has no village-wide reach here."""
        if self.is_admin:
            return None
        if self.village_id is None:
            raise PermissionDenied()
        return self.village_id

    def can_reach_village(self, village_id: int | None) -> bool:
        return self.is_admin or (village_id is not None and village_id == self.village_id)

    def ensure_village(self, village_id: int | None) -> None:
        """Other villages' records are answered as absent (404), not as forbidden."""
        if not self.can_reach_village(village_id):
            raise NotFound()

    def target_village(self, requested: int | None) -> int:
        """The village a new record belongs to: a secretary's own; an admin must name one."""
        if self.is_admin:
            if requested is None:
                raise InvalidInput("village_id", "an admin must name the village (village_id)")
            return requested
        if requested is not None and requested != self.village_id:
            raise NotFound()
        assert self.village_id is not None
        return self.village_id
