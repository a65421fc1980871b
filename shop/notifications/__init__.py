"""Reminders sent exactly once (an outbox in the database) and the in-app inbox they land in.

May import: the shared modules of ``shop``, ``shop.accounts`` and ``shop.web``; every other domain may
import it (it knows none of them).
"""
