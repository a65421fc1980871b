"""Reminders sent exactly once (an outbox in the database) and the in-app inbox they land in."""
