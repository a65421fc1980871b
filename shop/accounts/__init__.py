"""Who is asking: staff users, households, their secrets, sessions and API tokens.

Lives here: the User model and roles, the Principal every service is handed, passwords and PINs with
lockout, API tokens, the database-backed web sessions, the login pages and the account API.
May import: the shared modules of ``shop`` (db, errors, paging, settings, text, timeutil), ``shop.villages``
(a household signs in) and ``shop.web``; no other domain.
"""
