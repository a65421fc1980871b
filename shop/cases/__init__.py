"""Villagers' questions and disputes (诉求): raised from the earning itself, answered on working-day
clocks, climbing village → township → county, closed only when the villager is satisfied."""
