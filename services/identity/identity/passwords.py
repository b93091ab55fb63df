"""Password hashing (argon2id) and the password rules.

argon2id with `time_cost=2, memory_cost=19456 KiB (19 MiB), parallelism=1`
(the OWASP minimum). Hashing is CPU-bound C code that would freeze the
eventlet hub for every other worker of the service, so it runs in a real OS
thread through `eventlet.tpool`.
"""
from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from identity.exceptions import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 256

TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1


class Argon2Hasher:
    """The real hasher: argon2id, off the eventlet hub."""

    def __init__(self, time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
        )
        # Verified against when a login names nobody, so an unknown login
        # costs the same time as a wrong password.
        self._dummy_hash = self._hasher.hash("certtrack-timing-equaliser")

    def hash(self, password: str) -> str:
        return tpool.execute(self._hasher.hash, password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; never raises for a bad guess.

        With no hash (unknown login, no password set yet) it still does the
        work of one verification and answers False.
        """
        if password_hash is None:
            self._check(self._dummy_hash, password)
            return False
        return self._check(password_hash, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return tpool.execute(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def check_password_rules(password: str, *, candidate_id: str | None = None,
                         email: str | None = None) -> None:
    """Raise WeakPassword (with a message a person can act on) or return."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise WeakPassword("The password cannot be only spaces.")
    folded = password.casefold()
    if candidate_id and candidate_id.casefold() in folded:
        raise WeakPassword("The password must not contain your candidate ID.")
    if email and email.casefold() in folded:
        raise WeakPassword("The password must not contain your email address.")


_default: Argon2Hasher | None = None


def default_hasher() -> Argon2Hasher:
    global _default
    if _default is None:
        _default = Argon2Hasher()
    return _default
