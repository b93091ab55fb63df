"""Private PostgreSQL databases per test run."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from certtrack_shared.migrations import drop_database, ensure_database, upgrade

SERVER = os.environ.get("TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")


class RunDatabases:
    """One database per service (and per scratch name) for this test run."""

    def __init__(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.urls: dict[str, str] = {}

    def url(self, name: str, migrate_service: bool | str = False) -> str:
        """The database `name` of this run; `migrate_service` (True: the
        service called `name`) migrates it to that service's head."""
        if name not in self.urls:
            url = f"{SERVER}/ct_test_{self.run_id}_{name}"
            ensure_database(url)
            self.urls[name] = url
            if migrate_service:
                upgrade(name if migrate_service is True else migrate_service, url)
        return self.urls[name]

    def drop_all(self) -> None:
        for url in self.urls.values():
            drop_database(url)


@contextmanager
def module_engine(request, run_databases: RunDatabases, service: str):
    """An engine on a database of the service migrated to head, one per test module."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    engine = create_engine(run_databases.url(f"{service}_{name}", migrate_service=service))
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def rolled_back_session(engine):
    """A session whose every change, its commits included, is rolled back at the end:
    for unit tests of a service's rules on its real, migrated schema."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
