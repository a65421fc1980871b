"""Livestreams: planning with guests and a lineup, the run-of-show, the live board, reminders, calendars."""
