"""Every domain's timed jobs, gathered in one list (each domain declares its own in ``scheduled.py``)."""

from __future__ import annotations

from shop.ops import scheduled as ops_scheduled
from shop.scheduling import ScheduledJob
from shop.training import scheduled as training_scheduled

ALL_JOBS: list[ScheduledJob] = [
    *ops_scheduled.JOBS,
    *training_scheduled.JOBS,
]
