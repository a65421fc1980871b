"""Password and PIN hashing (argon2id) and bearer-token digests.

A 6-digit PIN has only a million values: a stolen database would give them all up to an offline
search, whatever the hash cost. So the PIN is first keyed with a pepper derived from the server's
secret key, which lives in ``var/secret_key`` or the environment, never in the database.
Rotating the secret key therefore invalidates every PIN (secretaries reset them).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shop.settings import Settings

PIN_RE = re.compile(r"^\d{6}$")


class SecretHasher:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._pepper = hmac.new(settings.secret_key.encode(), b"household-pin-pepper", hashlib.sha256).digest()
        # Verified against when the name does not exist, so both answers take the same time.
        self._decoy = self._hasher.hash(secrets.token_hex(16))

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_password(self, stored_hash: str | None, password: str) -> bool:
        return self._verify(stored_hash, password)

    def _peppered(self, pin: str) -> str:
        return hmac.new(self._pepper, pin.encode(), hashlib.sha256).hexdigest()

    def hash_pin(self, pin: str) -> str:
        return self._hasher.hash(self._peppered(pin))

    def verify_pin(self, stored_hash: str | None, pin: str) -> bool:
        return self._verify(stored_hash, self._peppered(pin))

    def _verify(self, stored_hash: str | None, secret: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._decoy, secret) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_RE.match(pin))
