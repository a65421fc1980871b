"""Every domain's timed jobs, gathered in one list (each domain declares its own in ``scheduled.py``)."""

from __future__ import annotations

from shop.cases import scheduled as cases_scheduled
from shop.catalogue import scheduled as catalogue_scheduled
from shop.ledger import scheduled as ledger_scheduled
from shop.notifications import scheduled as notifications_scheduled
from shop.ops import scheduled as ops_scheduled
from shop.orders import scheduled as orders_scheduled
from shop.scheduling import ScheduledJob
from shop.sms import scheduled as sms_scheduled
from shop.streams import scheduled as streams_scheduled
from shop.training import scheduled as training_scheduled

ALL_JOBS: list[ScheduledJob] = [
    *ops_scheduled.JOBS,
    *streams_scheduled.JOBS,
    *notifications_scheduled.JOBS,
    *training_scheduled.JOBS,
    *orders_scheduled.JOBS,
    *ledger_scheduled.JOBS,
    *catalogue_scheduled.JOBS,
    *cases_scheduled.JOBS,
    *sms_scheduled.JOBS,
]
