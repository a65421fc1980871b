"""Villages and the households that live in them.

Lives here: villages (admin), households with their members, codes and PINs, the household pages.
May import: the shared modules of ``shop``, ``shop.accounts`` (who may see a village) and ``shop.web``.
"""
