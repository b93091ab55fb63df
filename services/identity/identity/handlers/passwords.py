"""Password hashing (argon2id) and the password rules (OWASP ASVS 2.1).

Rules (docs/decisions/0020-passwords-and-security-sweeps.md): 12 to 128
characters after Unicode NFKC normalisation, any characters, no composition
rules; not one of the 100,000 most common passwords (the list shipped in
`identity/data/`, compared case-insensitively); not containing the candidate
ID, the email address or its local part (of 4 characters or more).

Every password is NFKC-normalised before it is checked, hashed or verified,
so the same password typed on another keyboard (composed or decomposed
accents, full-width digits) still matches.

argon2id with `time_cost=2, memory_cost=19456 KiB (19 MiB), parallelism=1`
(the OWASP minimum). Hashing is CPU-bound C code that would freeze the
eventlet hub for every other worker of the service, so it runs in a real OS
thread through `eventlet.tpool`.
"""
from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from identity.exceptions import WeakPassword

MIN_LENGTH = 12
MAX_LENGTH = 128
# A local part shorter than this is too common a piece of text to refuse.
MIN_LOCAL_PART = 4
COMMON_PASSWORDS = "common-passwords-100k.txt.gz"

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
        return tpool.execute(self._hasher.hash, normalize(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when the password matches; never raises for a bad guess.

        With no hash (unknown login, no password set yet) it still does the
        work of one verification and answers False.
        """
        normalized = normalize(password)
        if password_hash is None:
            self._check(self._dummy_hash, normalized)
            return False
        if self._check(password_hash, normalized):
            return True
        # A hash made before passwords were normalised, of a password that
        # NFKC changes: the password as typed.
        return normalized != password and self._check(password_hash, password)

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return tpool.execute(self._hasher.verify, password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def normalize(password: str) -> str:
    """The password as checked and hashed: Unicode NFKC (ASVS 2.3.1)."""
    return unicodedata.normalize("NFKC", password) if isinstance(password, str) else password


@cache
def common_passwords() -> frozenset[str]:
    """The 100,000 most common passwords, case-folded, read once per process."""
    data = resources.files("identity").joinpath("data", COMMON_PASSWORDS).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(normalize(line).casefold() for line in lines if line)


def check_password_rules(password: str, *, candidate_id: str | None = None,
                         email: str | None = None) -> None:
    """Raise WeakPassword (with a message naming the rule broken) or return."""
    if not isinstance(password, str):
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise WeakPassword("The password cannot be only spaces.")
    folded = password.casefold()
    if folded in common_passwords():
        raise WeakPassword("This is one of the 100,000 most common passwords: choose another.")
    if candidate_id and candidate_id.casefold() in folded:
        raise WeakPassword("The password must not contain your candidate ID.")
    if email:
        address = email.casefold()
        local_part = address.rpartition("@")[0]
        if address in folded or (len(local_part) >= MIN_LOCAL_PART and local_part in folded):
            raise WeakPassword("The password must not contain your email address or the part before the @.")


_default: Argon2Hasher | None = None


def default_hasher() -> Argon2Hasher:
    global _default
    if _default is None:
        _default = Argon2Hasher()
    return _default
