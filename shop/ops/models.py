"""The scheduler lease: one row per lease name; whoever holds an unexpired lease runs the timed jobs."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column


class SchedulerLease(DefaultBase):
    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
