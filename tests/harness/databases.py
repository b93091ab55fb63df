"""Private PostgreSQL databases per test run."""
from __future__ import annotations

import os
import uuid

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
