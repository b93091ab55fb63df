"""The sandbox's ledger: a SQLite file of its own (docs/decisions/0017-card-data-never-reaches-certtrack.md).

Tables: `payment_methods` (token → brand, last four, expiry and the outcome a
charge will have; never a number or CVC), `charges`, `refunds`, and
`idempotent_requests` (key → the request's fingerprint and the answer given,
so the same key answers the same, once).

Every write runs in `BEGIN IMMEDIATE`, which takes SQLite's write lock at the
start: two requests with the same idempotency key, or two refunds of one
charge, run one after the other and the second sees the first.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_methods (
    id TEXT PRIMARY KEY, brand TEXT NOT NULL, last4 TEXT NOT NULL, exp_month INTEGER NOT NULL,
    exp_year INTEGER NOT NULL, decline_code TEXT, decline_message TEXT, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
    id TEXT PRIMARY KEY, payment_method TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
    status TEXT NOT NULL, amount_refunded INTEGER NOT NULL DEFAULT 0, brand TEXT NOT NULL, last4 TEXT NOT NULL,
    failure_code TEXT, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS refunds (
    id TEXT PRIMARY KEY, charge TEXT NOT NULL REFERENCES charges(id), amount INTEGER NOT NULL,
    created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotent_requests (
    key TEXT NOT NULL, endpoint TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (key, endpoint));
"""


class Store:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self.connection() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)

    @contextmanager
    def connection(self):
        """A connection for one request (the server runs each in a thread of its own)."""
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.row_factory = sqlite3.Row
        try:
            yield connection
        finally:
            connection.close()

    @contextmanager
    def writing(self):
        """A write transaction holding SQLite's write lock from its first statement."""
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def one(self, sql: str, *parameters) -> sqlite3.Row | None:
        with self.connection() as connection:
            return connection.execute(sql, parameters).fetchone()


def remembered(connection, key: str, endpoint: str) -> tuple[str, int, dict] | None:
    """(fingerprint, status, body) answered earlier under this key, or None."""
    row = connection.execute("SELECT fingerprint, status, body FROM idempotent_requests WHERE key = ? AND endpoint = ?",
                             (key, endpoint)).fetchone()
    return None if row is None else (row["fingerprint"], row["status"], json.loads(row["body"]))


def remember(connection, key: str, endpoint: str, fingerprint: str, status: int, body: dict, now: int) -> None:
    connection.execute("INSERT INTO idempotent_requests (key, endpoint, fingerprint, status, body, created) "
                       "VALUES (?, ?, ?, ?, ?, ?)", (key, endpoint, fingerprint, status, json.dumps(body), now))
