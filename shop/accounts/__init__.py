"""Who is asking: staff users, households, their secrets, sessions and API tokens."""
