"""Private PostgreSQL databases per test run."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from certtrack_shared.migrations import drop_database, ensure_database, upgrade

SERVER = os.environ.get("TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432")


class RunDatabases:
    """One database per service (and per scratch name) for this test run.

    A run creates a hundred or so migrated databases. Each service is migrated
    once, into a template of this run, and every migrated database is a copy of
    it: a copy takes a fifth of the time of running the service's migrations
    again, and the schema is the same by construction."""

    def __init__(self):
        self.run_id = uuid.uuid4().hex[:8]
        self.urls: dict[str, str] = {}
        self.templates: dict[str, str] = {}

    def url(self, name: str, migrate_service: bool | str = False) -> str:
        """The database `name` of this run; `migrate_service` (True: the
        service called `name`) migrates it to that service's head."""
        if name not in self.urls:
            url = f"{SERVER}/ct_test_{self.run_id}_{name}"
            if migrate_service:
                self._copy(self._template(name if migrate_service is True else migrate_service), url)
            else:
                ensure_database(url)
            self.urls[name] = url
        return self.urls[name]

    def _template(self, service: str) -> str:
        if service not in self.templates:
            url = f"{SERVER}/ct_test_{self.run_id}_template_{service}"
            upgrade(service, url)
            self.templates[service] = url
        return self.templates[service]

    @staticmethod
    def _copy(template: str, url: str) -> None:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(
                    f'CREATE DATABASE "{make_url(url).database}" TEMPLATE "{make_url(template).database}"'))
        finally:
            admin.dispose()

    def drop_all(self) -> None:
        """Drop them side by side: each DROP DATABASE waits for a checkpoint, and
        one after another they cost the run tens of seconds. A plain interpreter
        does it, since under eventlet the database driver's calls would still
        run one at a time."""
        urls = [*self.urls.values(), *self.templates.values()]
        if urls:
            subprocess.run([sys.executable, "-m", "tests.harness.databases", *urls], check=True,
                           cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


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


def _drop_side_by_side(urls: list[str]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(drop_database, urls))


if __name__ == "__main__":
    _drop_side_by_side(sys.argv[1:])


def counted_commits(container, monkeypatch) -> list:
    """A list that grows by one each time a worker of `container` commits (or
    rolls back) its transaction: how a test sees that messages were applied
    together, one transaction for many."""
    from certtrack_shared.database import find_database

    commits = []
    provider = find_database(container)
    commit = provider.worker_commit
    monkeypatch.setattr(provider, "worker_commit",
                        lambda ctx, exc_info: (commits.append(1), commit(ctx, exc_info))[1])
    return commits
