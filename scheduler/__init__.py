"""Timed work: APScheduler wiring, the lease that keeps it to one process, and the job list.

May import: every domain's ``scheduled.py`` (the jobs), ``shop.wiring`` and the shared modules; nothing
imports it but the command line.
"""
