"""The benchmarks' PostgreSQL: an admin URL (``SHOP_BENCH_PG_ADMIN``), and databases made and dropped on it."""

from __future__ import annotations

import asyncio
import os

from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("SHOP_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def pg_admin(statements: list[str], admin_url: str = PG_ADMIN_URL) -> None:
    """Run ``statements`` one by one on the admin database (outside a transaction: CREATE DATABASE)."""
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port or 5432, database=url.database
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def pg_url(database: str, admin_url: str = PG_ADMIN_URL, driver: str = "postgresql+asyncpg") -> str:
    """The URL of ``database`` on the admin URL's server, as the app takes it."""
    return make_url(admin_url).set(drivername=driver, database=database).render_as_string(hide_password=False)


def pg_reachable(admin_url: str = PG_ADMIN_URL) -> str:
    """Empty when PostgreSQL answers, else why not."""
    try:
        asyncio.run(asyncio.wait_for(pg_admin(["SELECT 1"], admin_url), 10))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def pg_fresh(database: str, admin_url: str = PG_ADMIN_URL) -> str:
    """``database`` dropped if it was there and made anew, empty; its URL."""
    asyncio.run(
        pg_admin([f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', f'CREATE DATABASE "{database}"'], admin_url)
    )
    return pg_url(database, admin_url)


def pg_drop(database: str, admin_url: str = PG_ADMIN_URL) -> None:
    asyncio.run(pg_admin([f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'], admin_url))
