"""村播助农 — the village livestream toolkit (Litestar service)."""
