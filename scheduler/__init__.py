"""Timed work: APScheduler wiring, the lease that keeps it to one process, and the job list."""
