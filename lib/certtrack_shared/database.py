"""Database dependency provider: one SQLAlchemy 2 session per worker.

The session commits when the worker succeeds and rolls back when it raises.
The commit happens in `worker_commit`, which our own entrypoints call *before*
they reply or ack (see `transaction.py`); Nameko's `worker_result` comes too
late for that.

psycopg2 is made green with psycogreen so that a slow query yields to the
eventlet hub instead of freezing every worker of the service.
"""
from __future__ import annotations

import logging
import weakref

from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from certtrack_shared import config, metrics, view_generations
from certtrack_shared.tracing import spans, worker as traced_worker

log = logging.getLogger(__name__)

_GREEN = False


def make_psycopg_green() -> None:
    """Let psycopg2 wait on sockets through eventlet (idempotent)."""
    global _GREEN
    if _GREEN:
        return
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()
    _GREEN = True


def create_service_engine(url: str, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the relay read while a worker writes.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    make_psycopg_green()
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping per checkout (a round trip on every worker): a connection
        # that died with a database restart fails its transaction, which the
        # consumer retries and the pool replaces.
        pool_pre_ping=False,
        pool_recycle=1800,
    )


class Database(DependencyProvider):
    """Injects a `Session`; the worker's changes commit together or not at all.

    Every service has one, so it also brings the process's metrics: its pool,
    the outbox and dead letters of its database, every worker's duration,
    and the `METRICS_PORT` server (certtrack_shared/metrics); and what makes
    each worker followable: its correlation id and its span
    (certtrack_shared/tracing).
    """

    metrics_endpoint = metrics.MetricsEndpoint()

    def __init__(self, service: str | None = None):
        self.service = service
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker | None = None
        self._sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.generations: view_generations.Generations | None = None
        self._announcing = None

    def setup(self):
        service = self.service or self.container.service_name
        url = self.container.config.get("DATABASE_URL") or config.database_url(service)
        max_workers = int(self.container.config.get("max_workers", 10))
        # Workers, the outbox relay and one spare.
        self.engine = create_service_engine(url, pool_size=max_workers + 2)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        metrics.watch_database(self.container.service_name, self)
        # Spans go out only when an OTLP endpoint is set; the SDK flushes at exit.
        spans.configure(self.container.service_name)
        redis_url = self.container.config.get("REDIS_URL")
        if redis_url:  # the gateway may keep this service's replies (decision 0034)
            import redis

            self.generations = view_generations.Generations(
                redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2),
                view_generations.namespace(self.container.config.get("AMQP_URI") or config.amqp_uri()),
                self.container.service_name)
            view_generations.track(self.sessionmaker, self.generations)

    def start(self):
        if self.generations is not None:
            self._announcing = self.container.spawn_managed_thread(
                self._announce, identifier="view_generations")

    def _announce(self):
        import eventlet

        while True:
            self.generations.announce()
            eventlet.sleep(view_generations.RENEW_SECONDS)

    def stop(self):
        if self._announcing is not None:
            self._announcing.kill()
            self._announcing = None
        metrics.forget_database(self)
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self.stop()

    def session_for(self, worker_ctx) -> Session:
        session = self._sessions.get(worker_ctx)
        if session is None:
            session = self.sessionmaker()
            self._sessions[worker_ctx] = session
        return session

    def get_dependency(self, worker_ctx) -> Session:
        return self.session_for(worker_ctx)

    def worker_setup(self, worker_ctx):
        metrics.worker_started(worker_ctx)
        traced_worker.worker_started(worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        metrics.worker_finished(worker_ctx, exc_info)
        traced_worker.worker_finished(worker_ctx, exc_info)

    def worker_commit(self, worker_ctx, exc_info):
        """Commit on success, roll back on error. Called before reply/ack."""
        session = self._sessions.get(worker_ctx)
        if session is None:
            return
        if exc_info is None:
            session.commit()
        else:
            session.rollback()

    def worker_teardown(self, worker_ctx):
        session = self._sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
        traced_worker.worker_ended(worker_ctx)

    def new_session(self) -> Session:
        """A session outside any worker (relay, timers)."""
        return self.sessionmaker()


def find_database(container) -> Database:
    for provider in container.dependencies:
        if isinstance(provider, Database):
            return provider
    raise LookupError(f"service {container.service_name!r} declares no Database dependency")
