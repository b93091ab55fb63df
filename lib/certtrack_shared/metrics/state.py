"""Gauges read when Prometheus scrapes: the outbox's backlog and the age of
its oldest row, dead letters awaiting staff, and the database pool.

Read at scrape time rather than kept up to date by the relay: one query per
scrape (every 15 s or so) instead of one per relay poll, and the figures are
as fresh as the scrape. A database that does not answer leaves its outbox
and dead-letter series out of that scrape (an absent series, not a false
zero); `certtrack_database_up` says so.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from certtrack_shared.metrics.series import REGISTRY
from certtrack_shared.tables import dead_letters, outbox_messages

log = logging.getLogger(__name__)

# Databases of the services running in this process: usually one, several
# when tests run services side by side. Keyed by identity, in start order.
_watched: dict[int, tuple[str, object]] = {}


def watch_database(service: str, database) -> None:
    """`database` has `engine` and `new_session()` (certtrack_shared.database.Database)."""
    _watched[id(database)] = (service, database)


def forget_database(database) -> None:
    _watched.pop(id(database), None)


def _by_service() -> dict[str, list]:
    grouped: dict[str, list] = {}
    for service, database in list(_watched.values()):
        grouped.setdefault(service, []).append(database)
    return grouped


class ServiceStateCollector:
    """A prometheus_client collector over the watched databases."""

    def describe(self):
        # Nothing known before the first scrape: keeps registration free of queries.
        return []

    def collect(self):
        pool = {name: GaugeMetricFamily(f"certtrack_db_pool_{name}", text, labels=["service"])
                for name, text in _POOL_SERIES.items()}
        up = GaugeMetricFamily("certtrack_database_up",
                               "1 when the scrape's query of the service database answered.",
                               labels=["service"])
        backlog = GaugeMetricFamily("certtrack_outbox_backlog",
                                    "Outbox rows (events, mails) not yet sent.", labels=["service"])
        oldest = GaugeMetricFamily("certtrack_outbox_oldest_age_seconds",
                                   "Age of the oldest unsent outbox row; 0 when none waits.",
                                   labels=["service"])
        held = GaugeMetricFamily("certtrack_dead_letters_held",
                                 "Dead letters archived and awaiting staff (replay or discard).",
                                 labels=["service"])
        for service, databases in _by_service().items():
            for name, family in pool.items():
                family.add_metric([service], sum(_pool_figure(d.engine, name) for d in databases))
            figures = _read_database(service, databases[0])
            up.add_metric([service], 0 if figures is None else 1)
            if figures is not None:
                waiting, age, held_count = figures
                backlog.add_metric([service], waiting)
                oldest.add_metric([service], age)
                held.add_metric([service], held_count)
        yield from pool.values()
        yield from (up, backlog, oldest, held)


_POOL_SERIES = {
    "checked_out": "Database connections in use by workers, the relay and scrapes.",
    "size": "Connections the pool keeps open (its configured size).",
    "overflow": "Connections opened beyond the pool's size (negative: size not yet reached).",
}


def _pool_figure(engine, name: str) -> float:
    pool = engine.pool
    # SQLite's pools have no size or overflow: report what they have.
    reader = {"checked_out": "checkedout", "size": "size", "overflow": "overflow"}[name]
    method = getattr(pool, reader, None)
    return float(method()) if callable(method) else 0.0


def _read_database(service: str, database):
    try:
        with database.new_session() as session:
            waiting, oldest = session.execute(
                select(func.count(), func.min(outbox_messages.c.created_at))
                .where(outbox_messages.c.sent_at.is_(None))).one()
            held = session.execute(
                select(func.count()).select_from(dead_letters)
                .where(dead_letters.c.status == "held")).scalar_one()
    except Exception as error:  # noqa: BLE001 - a scrape must answer whatever the database does
        log.warning("metrics: %s's database did not answer (%s: %s)",
                    service, type(error).__name__, error)
        return None
    age = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite hands back naive UTC
            oldest = oldest.replace(tzinfo=timezone.utc)
        age = max(0.0, (datetime.now(timezone.utc) - oldest).total_seconds())
    return waiting, age, held


COLLECTOR = ServiceStateCollector()
REGISTRY.register(COLLECTOR)
