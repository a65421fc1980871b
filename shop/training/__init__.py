"""Training: e-commerce courses for trainee cohorts, classes and attendance, certificates.

May import: the shared modules of ``shop`` (calendar_feed, markdown, text, timeutil …), ``shop.accounts``,
``shop.villages``, ``shop.streams`` (practice streams), ``shop.notifications`` and ``shop.web``.
"""
