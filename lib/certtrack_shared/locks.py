"""`advisory_lock`: serialise the writers of one key until the transaction ends.
`leadership`: one replica of a service runs a job at a time; the others skip it.

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

`held_together` is for a batch of messages applied in one transaction
(`consumer._apply_batch`): it takes the locks of every message of the batch
in one statement, in a fixed order (so two batches never wait on each other
in a circle), and while its block runs `advisory_lock` on one of those keys
costs no round trip. It ends with the block: the batch's fallback, one
message per savepoint, locks each key again as before.

`leadership` is for the jobs every replica of a service runs on a timer (the
certs daily run, the credential backfill): the replica that takes the key
runs the job, any other that comes while it runs skips at once instead of
queueing to do the same work again (decision 0029). It must outlast the
job's commits (the daily run commits each candidate), so it is PostgreSQL's
session-level `pg_try_advisory_lock`, held on a connection of its own and
unlocked when the block ends; a replica that dies loses its connection and
with it the lock. It shares the key space of `advisory_lock`: never take
both on one key, or the job waits for its own other connection forever.
On SQLite the processes sharing a database file share the host, so an
exclusive `flock` on a file beside the database does the same.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import time
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import ARRAY, Text, bindparam, func, literal_column, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

SEPARATOR = "\x1f"

# Built once: every message of some consumers takes this lock, and SQLAlchemy
# then finds the compiled form in its cache without deriving a cache key anew.
_PG_LOCK = select(func.pg_advisory_xact_lock(
    func.hashtextextended(bindparam("key"), literal_column("0"))))
_PG_TRY_LEAD = select(func.pg_try_advisory_lock(
    func.hashtextextended(bindparam("key"), literal_column("0"))))
_PG_LEAD = select(func.pg_advisory_lock(
    func.hashtextextended(bindparam("key"), literal_column("0"))))
_PG_STEP_DOWN = select(func.pg_advisory_unlock(
    func.hashtextextended(bindparam("key"), literal_column("0"))))
# Every key of a batch in one round trip, in the order given (sorted by the caller).
_PG_LOCK_ALL = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(:keys) AS key"
).bindparams(bindparam("keys", type_=ARRAY(Text())))
# session.info key of the keys `held_together` holds.
_HELD = "certtrack.locks.held"
# How often a replica told to wait (`leadership(..., wait=True)`) on SQLite looks again.
SQLITE_WAIT_SECONDS = 0.2


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
    if key in session.info.get(_HELD, ()):
        return  # taken with the rest of its batch (`held_together`)
    _take(session, _PG_LOCK, {"key": key})


@contextmanager
def held_together(session: Session, keys: list[tuple[str, ...]]) -> Iterator[None]:
    """Lock every key (each a tuple of `advisory_lock`'s parts) until the
    transaction ends, in one statement and in sorted order; inside the
    block, `advisory_lock` on one of them is already done."""
    texts = sorted({lock_key(*parts) for parts in keys})
    if texts:
        _take(session, _PG_LOCK_ALL, {"keys": texts})
    session.info[_HELD] = frozenset(texts)
    try:
        yield
    finally:
        session.info.pop(_HELD, None)


def _take(session: Session, postgresql_statement, parameters: dict) -> None:
    """Run the PostgreSQL lock statement, or hold SQLite's write lock (see the module)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql_statement, parameters)
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


@contextmanager
def leadership(session: Session, *parts: str, wait: bool = False) -> Iterator[bool]:
    """Whether this replica is the one running the job named by `parts`, until the block ends.

        with leadership(session, "certs-daily-run") as leading:
            if not leading:
                return  # another replica runs it now
            ...  # the job, committing as it goes; commit its last work inside the block

    `wait=True` waits for the replica running it to finish instead (staff asking for a run
    want it done, not skipped), and yields True. Check inside the block whether the work is
    still to do: the other replica may have finished it just before.
    """
    key = lock_key(*parts)
    engine = session.get_bind().engine
    dialect = engine.dialect.name
    if dialect == "postgresql":
        with _postgresql_leadership(engine, key, wait) as leading:
            yield leading
    elif dialect == "sqlite":
        with _sqlite_leadership(engine, key, wait) as leading:
            yield leading
    else:
        raise UnsupportedDatabase(
            f"leadership locks on PostgreSQL and SQLite, the databases CertTrack runs on; "
            f"this session's is {dialect}")


@contextmanager
def _postgresql_leadership(engine: Engine, key: str, wait: bool) -> Iterator[bool]:
    connection = engine.connect()
    try:
        if wait:
            connection.execute(_PG_LEAD, {"key": key})
            leading = True
        else:
            leading = bool(connection.scalar(_PG_TRY_LEAD, {"key": key}))
        # A session-level lock outlives the transaction: end it, so the connection is not
        # left idle in a transaction for the whole job.
        connection.commit()
    except BaseException:
        # Cut short (a killed worker) it may hold the lock or not: closing the connection frees it.
        connection.invalidate()
        connection.close()
        raise
    try:
        yield leading
    finally:
        if leading:
            try:
                connection.scalar(_PG_STEP_DOWN, {"key": key})
                connection.commit()
            except Exception:
                # Never hand the pool a connection that may still hold the lock: closing it frees it.
                log.warning("could not unlock %r; closing its connection instead", key, exc_info=True)
                connection.invalidate()
        connection.close()


@contextmanager
def _sqlite_leadership(engine: Engine, key: str, wait: bool) -> Iterator[bool]:
    database = engine.url.database
    if not database or database == ":memory:":
        yield True  # a database of this process alone: no other replica shares it
        return
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    descriptor = os.open(f"{database}.leader-{digest}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        leading = _try_flock(descriptor)
        while wait and not leading:
            time.sleep(SQLITE_WAIT_SECONDS)  # a blocking flock would stop every green thread
            leading = _try_flock(descriptor)
        yield leading
    finally:
        os.close(descriptor)  # releases the flock with it


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
