"""Settings read from the environment once, at start-up, and passed into ``create_app(settings)``."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shop.web.client import parse_networks

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The pages' templates: ``shop/templates`` is a link to the repository's top-level ``templates/`` in a
# checkout and the real folder in an installed wheel (pyproject ships it as package data).
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _read_or_create_secret(path: Path) -> str:
    """The secret key lives in a file beside the data, never in the database."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    cookie_secure: bool = False
    debug: bool = False
    log_level: str = "INFO"
    # argon2id cost; tests lower it, production keeps RFC 9106's second recommendation.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 1
    session_max_age: int = 60 * 60 * 24 * 14
    api_token_ttl: int = 60 * 60 * 24 * 30
    # Request bodies: page forms and the JSON API take small ones; each upload route names its own larger cap
    # (``request_max_body_size`` on the handler). A body over the cap is a 413 naming it.
    max_body_bytes: int = 1024 * 1024
    api_max_body_bytes: int = 256 * 1024
    # Reverse proxies whose X-Forwarded-For is believed (SHOP_TRUSTED_PROXIES, as networks); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Password and PIN hashes at a time in one worker (0: the machine's cores shared among its workers), and
    # how many may wait beside them before a login is answered 503 at once.
    login_hash_slots: int = 0
    login_hash_queue: int = 8
    backup_keep: int = 14
    # FULL: a commit the service acknowledged survives a power cut. Tests may relax it for speed.
    sqlite_synchronous: str = "FULL"
    # No connection reuse: for tests, whose client runs the app in another event loop than the test.
    db_null_pool: bool = False
    templates_dir: Path = field(default=TEMPLATES_DIR)
    # The address printed on paper (QR codes on parcels and login cards); the request's own when unset.
    public_url: str = ""
    # ``module:attribute`` of the external reminder sender; empty = log only (see shop.notifications.senders).
    reminder_sender: str = ""
    # How long a scheduler's lease lasts without renewal, and after how long a claimed but unfinished
    # reminder (its process died) may be taken over. Tests shorten both.
    scheduler_lease_seconds: int = 30
    reminder_claim_seconds: int = 300
    # SMS (see docs/deploy.md): ``log`` sends nothing and logs the text with the phone masked; ``aliyun``
    # calls Alibaba Cloud's SendSms. ``sms_templates`` maps a message kind to the approved template code;
    # a kind without one is not sent by SMS.
    sms_provider: str = "log"
    sms_endpoint: str = "https://dysmsapi.aliyuncs.com"
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_templates: dict[str, str] = field(default_factory=dict)
    sms_daily_cap: int = 5
    sms_timeout_seconds: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def case_photo_dir(self) -> Path:
        """Villagers' photos for their cases: outside ``media_dir``, which is served to anyone."""
        return self.var_dir / "case-photos"

    @property
    def backup_dir(self) -> Path:
        return self.var_dir / "backups"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        # ``var/`` under the working directory: an installed package's folder is no place for data.
        var_dir = Path(env.get("SHOP_VAR_DIR") or "var").resolve()
        database_url = env.get("SHOP_DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / 'shop.db'}"
        secret_key = env.get("SHOP_SECRET_KEY") or _read_or_create_secret(var_dir / "secret_key")
        values: dict[str, Any] = {  # each field's value, parsed from its variable above
            "database_url": normalise_database_url(database_url),
            "secret_key": secret_key,
            "var_dir": var_dir,
            "host": env.get("SHOP_HOST", "127.0.0.1"),
            "port": int(env.get("SHOP_PORT", "8000")),
            "workers": workers_from(env.get("SHOP_WORKERS", "")),
            "cookie_secure": _flag(env.get("SHOP_COOKIE_SECURE")),
            "debug": _flag(env.get("SHOP_DEBUG")),
            "log_level": env.get("SHOP_LOG_LEVEL", "INFO").upper(),
            "public_url": env.get("SHOP_PUBLIC_URL", "").rstrip("/"),
            "reminder_sender": env.get("SHOP_REMINDER_SENDER", ""),
            "scheduler_lease_seconds": int(env.get("SHOP_SCHEDULER_LEASE_SECONDS", "30")),
            "reminder_claim_seconds": int(env.get("SHOP_REMINDER_CLAIM_SECONDS", "300")),
            "sms_provider": (env.get("SHOP_SMS_PROVIDER") or "log").strip().lower(),
            "sms_endpoint": env.get("SHOP_SMS_ENDPOINT") or "https://dysmsapi.aliyuncs.com",
            "sms_access_key_id": env.get("SHOP_SMS_ACCESS_KEY_ID", ""),
            "sms_access_key_secret": env.get("SHOP_SMS_ACCESS_KEY_SECRET", ""),
            "sms_sign_name": env.get("SHOP_SMS_SIGN_NAME", ""),
            "sms_templates": parse_sms_templates(env.get("SHOP_SMS_TEMPLATES", "")),
            "sms_daily_cap": int(env.get("SHOP_SMS_DAILY_CAP", "5")),
            "sms_timeout_seconds": int(env.get("SHOP_SMS_TIMEOUT_SECONDS", "10")),
            "trusted_proxies": tuple(str(n) for n in parse_networks(env.get("SHOP_TRUSTED_PROXIES", ""))),
        }
        values.update(overrides)
        return cls(**values)


def workers_from(value: str) -> int:
    """``SHOP_WORKERS``: a whole number of web workers from 1 up; empty means one per core."""
    if not value.strip():
        return max(1, os.cpu_count() or 1)
    try:
        workers = int(value)
    except ValueError:
        raise ValueError(f"SHOP_WORKERS must be a whole number of web workers, not {value!r}") from None
    if workers < 1:
        raise ValueError(f"SHOP_WORKERS must be at least 1, not {workers}")
    return workers


def parse_sms_templates(raw: str) -> dict[str, str]:
    """``SHOP_SMS_TEMPLATES``: a JSON object from message kind to template code. A typo must stop the
    start-up with a message naming the setting, not silently send nothing."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"SHOP_SMS_TEMPLATES is not JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError('SHOP_SMS_TEMPLATES must be a JSON object of strings, e.g. {"payout": "SMS_123"}')
    return {k.strip(): v.strip() for k, v in value.items() if v.strip()}


def normalise_database_url(url: str) -> str:
    """Accept the plain URLs people paste (postgresql://, sqlite:///) and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url
