"""Fixtures: a migrated database per test (SQLite by default, PostgreSQL with SHOP_TEST_DATABASE_URL),
the app built from test settings, an HTTP client, and a small world of two villages to test reach.

Under CI=true nothing may be skipped: a missing Chromium fails the run instead of skipping it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shop.settings import Settings, normalise_database_url

TEST_PG_URL = os.environ.get("SHOP_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_skips: dict[str, list[str]] = {}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def make_test_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "var_dir": var_dir,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "log_level": "WARNING",
        # Durability is not what these tests check; fsync on every commit would only slow them down.
        "sqlite_synchronous": "OFF",
        # The test client runs the app in its own event loop; asyncpg connections must not cross loops.
        "db_null_pool": database_url.startswith("postgresql"),
    }
    values.update(overrides)
    return Settings(**values)


def _migrate(settings: Settings) -> None:
    from shop.cli import migrate

    migrate(settings)


async def _pg_admin(url: str, statements: list[str]) -> None:
    import asyncpg

    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username,
        password=parsed.password,
        host=parsed.host,
        port=parsed.port or 5432,
        database=parsed.database,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class TestDatabase:
    __test__ = False  # a fixture's value, not a test class

    kind: str
    template: Path | None = None
    url: str = ""
    tables: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """Migrate once per worker; each test then starts from that clean, migrated state."""
    root = tmp_path_factory.mktemp("db")
    if TEST_PG_URL:
        base = make_url(normalise_database_url(TEST_PG_URL))
        name = f"shop_test_{_worker()}_{os.getpid()}"  # several runs at once (CI, two people) never collide
        asyncio.run(
            _pg_admin(str(base), [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'])
        )
        url = base.set(database=name).render_as_string(hide_password=False)
        _migrate(make_test_settings(url, root))
        db = TestDatabase(kind="postgresql", url=url)
        db.tables = asyncio.run(_pg_tables(url))
        yield db
        asyncio.run(_pg_admin(str(base), [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))
    else:
        template = root / "template.db"
        _migrate(make_test_settings(f"sqlite+aiosqlite:///{template}", root))
        yield TestDatabase(kind="sqlite", template=template)


async def _pg_tables(url: str) -> list[str]:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("select tablename from pg_tables where schemaname = 'public' and tablename <> 'alembic_version'")
        )
        tables = [r[0] for r in rows]
    await engine.dispose()
    return tables


@pytest.fixture
def settings(test_database: TestDatabase, tmp_path: Path) -> Settings:
    if test_database.kind == "sqlite":
        assert test_database.template is not None
        db_file = tmp_path / "shop.db"
        shutil.copyfile(test_database.template, db_file)
        return make_test_settings(f"sqlite+aiosqlite:///{db_file}", tmp_path)
    asyncio.run(_truncate(test_database))
    return make_test_settings(test_database.url, tmp_path)


async def _truncate(db: TestDatabase) -> None:
    quoted = ", ".join(f'"{t}"' for t in db.tables)
    await _pg_admin(db.url, [f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"])


@pytest.fixture
def app(settings: Settings) -> Litestar:
    from shop.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


class Db:
    """Direct access to the test database; every call is its own short transaction, so a test never
    holds SQLite's write lock while it talks to the app."""

    def __init__(self, app: Litestar) -> None:
        self.config = app.state.alchemy_config

    async def scalar(self, statement: Any) -> Any:
        from shop.db import read_session

        async with read_session(self.config) as session:
            return (await session.execute(statement)).scalar_one_or_none()

    async def scalars(self, statement: Any) -> list[Any]:
        from shop.db import read_session

        async with read_session(self.config) as session:
            return list((await session.execute(statement)).scalars())

    async def rows(self, statement: Any) -> list[Any]:
        from shop.db import read_session

        async with read_session(self.config) as session:
            return list(await session.execute(statement))

    def write(self) -> Any:
        """``async with db.write() as session:`` commits when the block ends."""
        from shop.db import unit_of_work

        return unit_of_work(self.config)


@pytest.fixture
def db(app: Litestar) -> Db:
    return Db(app)


# --- a small world: two villages, each with a secretary, a trainee and households --------------------


@dataclass
class World:
    admin_id: int
    villages: dict[str, int]
    users: dict[str, int]
    households: dict[str, int]
    passwords: dict[str, str]
    pins: dict[str, str]


PASSWORD = "correct-horse-42"


async def build_world(app: Litestar) -> World:
    from shop.accounts.principal import Principal
    from shop.accounts.services import UserService
    from shop.db import unit_of_work
    from shop.villages.services import HouseholdService, VillageService

    hasher = app.state.hasher
    system = Principal.system()
    villages: dict[str, int] = {}
    users: dict[str, int] = {}
    households: dict[str, int] = {}
    pins: dict[str, str] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        user_service = UserService(session=session)
        admin = await user_service.create_user(system, hasher, username="admin", password=PASSWORD, role="admin")
        users["admin"] = admin.id
        for key, name, prefix in (("a", "从家店村", "CJD"), ("b", "大平房村", "DPF")):
            village = await VillageService(session=session).create_village(
                system, name=name, township="东大道乡", county="朝阳县", code_prefix=prefix
            )
            villages[key] = village.id
            for role in ("secretary", "trainee"):
                user = await user_service.create_user(
                    system, hasher, username=f"{role}_{key}", password=PASSWORD, role=role, village_id=village.id
                )
                users[f"{role}_{key}"] = user.id
            for n in (1, 2):
                code = f"{prefix}-00{n}"
                household = await HouseholdService(session=session).register(
                    system,
                    hasher,
                    code=code,
                    head_name=f"户主{key}{n}",
                    phone=f"1390421{n:04d}",
                    pin=f"1{n}{n}{n}{n}{n}",
                    members=[f"成员{key}{n}"],
                    village_id=village.id,
                )
                households[f"{key}{n}"] = household.id
                pins[f"{key}{n}"] = f"1{n}{n}{n}{n}{n}"
    return World(
        admin_id=users["admin"],
        villages=villages,
        users=users,
        households=households,
        passwords=dict.fromkeys(users, PASSWORD),
        pins=pins,
    )


@pytest.fixture
async def world(app: Litestar) -> World:
    return await build_world(app)


async def token_for(client: AsyncTestClient[Litestar], username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def household_token_for(client: AsyncTestClient[Litestar], code: str, pin: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/household-token", json={"household_code": code, "pin": pin})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def auth(app: Litestar, world: World) -> dict[str, dict[str, str]]:
    """Bearer headers for every role in the world: admin, secretary_a/b, trainee_a/b, household_a1 …

    Minted directly through the service (the token endpoints have their own tests)."""
    from shop.accounts.principal import Principal
    from shop.accounts.services import AuthService
    from shop.db import unit_of_work

    headers: dict[str, dict[str, str]] = {}
    async with unit_of_work(app.state.alchemy_config) as session:
        service = AuthService(session, app.state.hasher)
        for name, user_id in world.users.items():
            principal = await service.load_principal("user", user_id)
            assert isinstance(principal, Principal)
            token, _ = await service.issue_token(principal, 3600)
            headers[name] = {"Authorization": f"Bearer {token}"}
        for key, household_id in world.households.items():
            principal = await service.load_principal("household", household_id)
            assert isinstance(principal, Principal)
            token, _ = await service.issue_token(principal, 3600)
            headers[f"household_{key}"] = {"Authorization": f"Bearer {token}"}
    return headers


# --- browser and PostgreSQL availability, said plainly ---------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    reason = "Chromium is not installed (apt-get install chromium fonts-wqy-microhei): browser test skipped"
    for item in items:
        if item.get_closest_marker("browser"):
            if IN_CI:
                item.add_marker(pytest.mark.xfail(reason="CI=true requires Chromium", strict=True, run=False))
            else:
                item.add_marker(pytest.mark.skip(reason=reason))
                _skips.setdefault("browser", []).append(item.nodeid)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    database = "PostgreSQL (SHOP_TEST_DATABASE_URL)" if TEST_PG_URL else "SQLite"
    terminalreporter.write_sep("=", f"database under test: {database}")
    if not TEST_PG_URL:
        terminalreporter.write_line(
            "PostgreSQL: not tested in this run; set SHOP_TEST_DATABASE_URL=postgresql://… to run the suite on it"
        )
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"SKIPPED {len(skipped)} test(s):")
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            terminalreporter.write_line(f"  {report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line("CI=true: skipped tests are failures here", red=True)


# --- a real server for the browser and the schema fuzzer ---------------------------------------------


@dataclass
class LiveServer:
    url: str
    world: World
    settings: Settings


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(settings: Settings, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """The app served by granian in its own process on ``settings``' database; yields its base URL."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {
        **os.environ,
        "SHOP_DATABASE_URL": settings.database_url,
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_SECRET_KEY": settings.secret_key,
        "SHOP_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    # The server's stderr goes to a file: a pipe nobody reads would stall a chatty server once it fills, and
    # reading a pipe of a server still running (a slow start) would wait for it forever.
    log_path = Path(settings.var_dir) / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ws",
            "shop.app:create_app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"server did not start: {said}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app served by granian in its own process on the test database, with the small world seeded."""
    from shop.app import create_app

    async def seed() -> World:
        app = create_app(settings)
        try:
            return await build_world(app)
        finally:
            await app.state.alchemy_config.get_engine().dispose()

    world = asyncio.run(seed())
    with serving(settings) as url:
        yield LiveServer(url=url, world=world, settings=settings)


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "browser tests need Chromium"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


PHONE = {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
