"""Orders: quick entry, comment-to-order, platform export import, stock that never oversells, lifecycle.

Lives here: the order models, placing and the order writer, the stock kernel (``stock``), the lifecycle and
refunds (``services``), reports, the doors (``controllers``, ``pages``); ``imports/`` and ``comments/`` are
their own packages. May import: the shared modules of ``shop``, ``shop.accounts``, ``shop.villages``,
``shop.catalogue`` (lots), ``shop.streams`` (the stream an order came from), ``shop.ledger.policy`` (each
village's auto-confirm days) and ``shop.web``; completions and refunds are announced as domain events
(``shop.events``), never by calling the ledger to post.
"""
