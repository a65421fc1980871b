"""Livestreams: planning with guests and a lineup, the run-of-show, the live board, reminders, calendars.

May import: the shared modules of ``shop`` (channels, calendar_feed, media, text, timeutil …),
``shop.accounts``, ``shop.villages``, ``shop.catalogue`` (the lineup's products), ``shop.notifications`` and
``shop.web``. What orders put on the live board arrives through domain events (``shop.events``).
"""
