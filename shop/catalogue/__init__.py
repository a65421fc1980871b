"""The village's goods: products, lots pooled from households, photos, public pages, spreadsheet import.

May import: the shared modules of ``shop`` (db, errors, media, money, paging, privacy, tabular, text,
timeutil, scheduling), ``shop.accounts``, ``shop.villages``, ``shop.notifications`` (the low-stock note) and
``shop.web``. Orders, streams and the ledger read the catalogue, never the other way round.
"""
