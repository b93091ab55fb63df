"""`advisory_lock`: serialise the writers of one key until the transaction ends.

Rows cannot be locked before they exist: two transactions that each look for
a row, find none and insert it (the next agreement version, a candidate's
first standing, an order for an idempotency key) would both succeed. Every
service takes this lock on a key naming what it is about to create first.

PostgreSQL: `pg_advisory_xact_lock` on `hashtextextended(key, 0)`, the
server's own stable 64-bit hash of the text; released at commit or rollback.
The parts of the key are joined with the unit separator (U+001F), which no
part is expected to contain, so ("a", "b c") and ("a b", "c") differ.

SQLite (`sqlite:///var/<service>.db` in development) has no advisory locks
and needs none: only one transaction at a time may write to the database.
But Python's sqlite3 opens a transaction only before the first INSERT,
UPDATE or DELETE; the SELECTs before it read outside any transaction, so two
workers could both find no row and both insert it. So the lock makes sure
this transaction holds the database's write lock from here on: if sqlite3
has not opened a transaction yet, it opens one with `BEGIN IMMEDIATE`, which
waits (up to the connection's busy timeout) until no other transaction
writes; if one is open, it was opened for a write that already holds the
write lock. Either way what follows reads the latest committed state and no
other writer commits before this transaction ends. The key is not needed:
the lock covers the whole database.
"""
from __future__ import annotations

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import Session

SEPARATOR = "\x1f"

# Built once: every message of some consumers takes this lock, and SQLAlchemy
# then finds the compiled form in its cache without deriving a cache key anew.
_PG_LOCK = select(func.pg_advisory_xact_lock(
    func.hashtextextended(bindparam("key"), literal_column("0"))))


def lock_key(*parts: str) -> str:
    """The text whose hash is locked: the parts joined with U+001F."""
    if not parts:
        raise ValueError("advisory_lock needs at least one part of a key")
    return SEPARATOR.join(parts)


class UnsupportedDatabase(RuntimeError):
    """A database CertTrack does not run on (its services take PostgreSQL or SQLite URLs)."""


def advisory_lock(session: Session, *parts: str) -> None:
    """Hold a lock on the key made of `parts` until the session's transaction ends.

    `advisory_lock(session, "certs-candidate", candidate_id)`: a second
    transaction locking the same key waits for this one to commit or roll
    back. Name the kind of thing first, so different kinds never share a key.
    """
    key = lock_key(*parts)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(_PG_LOCK, {"key": key})
    elif dialect == "sqlite":
        _hold_sqlite_write_lock(session)
    else:
        raise UnsupportedDatabase(
            f"advisory_lock locks on PostgreSQL and SQLite, the databases CertTrack runs on; "
            f"this session's is {dialect}")


def _hold_sqlite_write_lock(session: Session) -> None:
    connection = session.connection()
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
