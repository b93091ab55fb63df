"""certtrack_shared.locks: a transaction-scoped lock by key, on PostgreSQL and on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.orm import Session

from certtrack_shared.database import create_service_engine
from certtrack_shared.locks import UnsupportedDatabase, advisory_lock, held_together, lock_key


def test_the_parts_of_a_key_are_kept_apart():
    assert lock_key("certs-candidate", "CSCO1") == "certs-candidate\x1fCSCO1"
    assert lock_key("a", "b c") != lock_key("a b", "c")
    with pytest.raises(ValueError):
        lock_key()


@pytest.fixture(scope="module")
def postgres(run_databases):
    engine = create_service_engine(run_databases.url("locks"))
    yield engine
    engine.dispose()


def _held_elsewhere(engine, *parts) -> bool:
    """Whether another transaction holds the key: this one cannot take it without waiting."""
    with engine.connect() as connection:
        taken = connection.scalar(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:key, 0))"),
                                  {"key": lock_key(*parts)})
        connection.rollback()
    return not taken


def test_postgresql_holds_the_key_until_the_transaction_ends(postgres):
    with Session(postgres) as session:
        advisory_lock(session, "locks-test", "CSCO1")
        assert _held_elsewhere(postgres, "locks-test", "CSCO1")
        assert not _held_elsewhere(postgres, "locks-test", "CSCO2")
        session.commit()
        assert not _held_elsewhere(postgres, "locks-test", "CSCO1")

        advisory_lock(session, "locks-test", "CSCO1")
        session.rollback()
        assert not _held_elsewhere(postgres, "locks-test", "CSCO1")


def test_a_batch_holds_all_its_keys_until_the_transaction_ends(postgres):
    statements = []
    with Session(postgres) as session:
        keys = [("locks-test", "B2"), ("locks-test", "B1"), ("locks-test", "B2")]
        with held_together(session, keys):
            assert _held_elsewhere(postgres, "locks-test", "B1")
            assert _held_elsewhere(postgres, "locks-test", "B2")
            connection = session.connection()
            with _counted(connection, statements):
                advisory_lock(session, "locks-test", "B1")  # already held: no round trip
            assert statements == []
            with _counted(connection, statements):
                advisory_lock(session, "locks-test", "B3")  # not the batch's: taken now
            assert len(statements) == 1
        # The block ended, the transaction has not: every key is still held...
        assert _held_elsewhere(postgres, "locks-test", "B1")
        with _counted(session.connection(), statements):
            advisory_lock(session, "locks-test", "B1")  # ...and outside it, locking asks again
        assert len(statements) == 2
        session.rollback()
    for number in ("B1", "B2", "B3"):
        assert not _held_elsewhere(postgres, "locks-test", number)


class _counted:
    """Statements the connection sends while the block runs, into `found`."""

    def __init__(self, connection, found: list):
        self.connection, self.found = connection, found

    def _count(self, *args):
        self.found.append(args[2])

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.connection, "before_cursor_execute", self._count)

    def __exit__(self, *_):
        from sqlalchemy import event

        event.remove(self.connection, "before_cursor_execute", self._count)


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    engine = create_service_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE things (name TEXT PRIMARY KEY)"))
    engine.dispose()
    return url


def _impatient(url):
    """A second writer that gives up at once instead of waiting for the lock."""
    return create_engine(url, connect_args={"timeout": 0})


def test_sqlite_takes_the_write_lock_before_the_first_write(sqlite_url):
    """Python's sqlite3 reads outside a transaction until the first write: two workers
    could both find no row and both insert it. The lock opens the transaction at once
    with BEGIN IMMEDIATE, so a second writer waits from there until the commit."""
    engine, other = create_service_engine(sqlite_url), _impatient(sqlite_url)
    try:
        with Session(engine) as session, Session(other) as second:
            session.execute(text("SELECT * FROM things")).all()  # a read before the lock
            advisory_lock(session, "locks-test", "thing")
            with pytest.raises(exc.OperationalError, match="locked"):
                advisory_lock(second, "locks-test", "thing")
            second.rollback()
            session.execute(text("INSERT INTO things VALUES ('one')"))
            session.commit()

            advisory_lock(second, "locks-test", "thing")
            assert second.execute(text("SELECT name FROM things")).scalars().all() == ["one"]
            second.commit()
    finally:
        engine.dispose()
        other.dispose()


def test_sqlite_lock_after_a_write_keeps_the_transaction(sqlite_url):
    """A write already holds the database's write lock; the lock adds nothing, and the
    transaction (with its write) still commits or rolls back as one."""
    engine = create_service_engine(sqlite_url)
    try:
        with Session(engine) as session:
            session.execute(text("INSERT INTO things VALUES ('two')"))
            advisory_lock(session, "locks-test", "thing")
            advisory_lock(session, "locks-test", "thing")  # again: harmless
            session.rollback()
            assert session.execute(text("SELECT count(*) FROM things")).scalar() == 0
    finally:
        engine.dispose()


def test_a_database_certtrack_does_not_run_on_is_named_in_a_clear_error():
    class _Bind:  # only the dialect's name matters before anything is sent
        class dialect:
            name = "mysql"

    class _Session:
        info: dict = {}

        def get_bind(self):
            return _Bind()

    with pytest.raises(UnsupportedDatabase, match="PostgreSQL and SQLite.*mysql"):
        advisory_lock(_Session(), "orders", "CSCO10000001")
