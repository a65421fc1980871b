"""Operations: health, backups and the scheduler lease."""
