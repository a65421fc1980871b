"""Text messages (SMS): the outbox that sends each one exactly once, and the providers behind it."""
