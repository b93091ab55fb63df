"""certtrack_shared.locks: a transaction-scoped lock by key, on PostgreSQL and on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.orm import Session

from certtrack_shared.database import create_service_engine
from certtrack_shared.locks import UnsupportedDatabase, advisory_lock, lock_key


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
        def get_bind(self):
            return _Bind()

    with pytest.raises(UnsupportedDatabase, match="PostgreSQL and SQLite.*mysql"):
        advisory_lock(_Session(), "orders", "CSCO10000001")
