"""Comment-to-order parsing: buyers' livestream comments, pasted by the secretary, become draft orders.

Pure text work (no web, no database, no other domain); each draft lists in ``problems`` what it guessed or
could not read, as ``shop.errors.Fault`` msgids that the page translates. ``lexicon`` holds the words and
patterns of live chat and the line being read, ``contacts`` reads the buyer's phone, name and address,
``reading`` the products and quantities and puts the draft together. Callers use the names below.
"""

from shop.orders.comments.lexicon import LineupProduct
from shop.orders.comments.reading import DraftItem, DraftOrder, MatchedBy, parse_comments

__all__ = ["DraftItem", "DraftOrder", "LineupProduct", "MatchedBy", "parse_comments"]
