"""Orders: quick entry, comment-to-order, platform export import, stock that never oversells, lifecycle."""
