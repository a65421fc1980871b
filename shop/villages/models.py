"""Village, household and household member tables."""

from __future__ import annotations

from advanced_alchemy.base import BigIntAuditBase
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Village(BigIntAuditBase):
    __tablename__ = "village"

    name: Mapped[str] = mapped_column(String(100))
    township: Mapped[str] = mapped_column(String(100), default="")
    county: Mapped[str] = mapped_column(String(100), default="")
    # Prefix for household codes printed on login cards (CJD → CJD-007).
    code_prefix: Mapped[str] = mapped_column(String(12), default="")
    # The transparency board names households only when the secretary turns this on.
    show_household_names: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("name", "township", "county", name="uq_village_name_place"),)


class Household(BigIntAuditBase):
    __tablename__ = "household"

    village_id: Mapped[int] = mapped_column(ForeignKey("village.id", ondelete="RESTRICT"), index=True)
    # Globally unique: a villager logs in with the code alone.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    head_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The villager (or the secretary on their request) switched text messages off.
    sms_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Grows whenever the PIN, the household's standing or its village changes (and on "sign out
    # everywhere"): every session and token made under an older generation stops working.
    credential_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="household",
        cascade="all, delete-orphan",
        order_by="HouseholdMember.position",
        lazy="selectin",
    )


class HouseholdMember(BigIntAuditBase):
    __tablename__ = "household_member"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[int] = mapped_column(default=0)

    household: Mapped[Household] = relationship(back_populates="members")

    __table_args__ = (Index("ix_household_member_household", "household_id", "position"),)
