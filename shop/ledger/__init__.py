"""Crediting households: the append-only ledger, fee policy, payouts, earnings, transparency.

Lives here: posting (``posting``), fee policies (``policy``), reading the books (``reading``), payouts,
the nightly checks, the money pages and API. May import: the shared modules of ``shop`` (channels, money,
split, tabular …), ``shop.accounts``, ``shop.villages``, ``shop.catalogue``, ``shop.orders`` (the sales it
credits, read-only), ``shop.streams``, ``shop.notifications``, ``shop.cases`` (its pages show the questions about
money) and ``shop.web``. It hears of sales through domain events (``shop.events``).
"""
