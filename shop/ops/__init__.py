"""Operations: health, backups and the scheduler lease.

May import: the shared modules of ``shop``, ``shop.accounts`` (the session purge) and ``shop.web``.
"""
