"""Villagers' questions and disputes (诉求): raised from the earning itself, answered on working-day
clocks, climbing village → township → county, closed only when the villager is satisfied.

May import: the shared modules of ``shop`` (workdays, media, text …), ``shop.accounts``, ``shop.villages``,
``shop.catalogue``, ``shop.orders``, ``shop.ledger`` (corrections post through it), ``shop.streams``,
``shop.notifications`` and ``shop.web``.
"""
