"""A small service that exercises the shared machinery in tests.

It stands in for a real service only where the machinery itself is under
test: its writes, events and consumer go through exactly the providers and
entrypoints the real services use.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import ClassVar, Literal

import eventlet
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text

from certtrack_shared.consumer import PoisonMessage, event_consumer
from certtrack_shared.contracts.internal import InternalEvent
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox

metadata = MetaData()
samples = Table(
    "samples",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("value", String(200), nullable=False),
)

# How often each event has failed so far (per process): lets a test make a
# handler fail a set number of times before it succeeds.
FAILURES: dict[str, int] = {}


class SampleRecordedV1(InternalEvent):
    event_type: ClassVar[str] = "sample_recorded"
    schema_version: Literal[1]
    value: str


class SampleNotedV1(InternalEvent):
    event_type: ClassVar[str] = "sample_noted"
    schema_version: Literal[1]
    value: str
    fail_times: int = 0
    # Seconds the handler waits before it writes: time for a test to cut
    # the broker connection while a message is being handled.
    pause_seconds: float = 0


class SampleBatchedV1(InternalEvent):
    """For the batched consumer: `undo` writes a row and announces it inside a
    savepoint the handler then rolls back itself (as a handler that catches
    an IntegrityError does)."""

    event_type: ClassVar[str] = "sample_batched"
    schema_version: Literal[1]
    value: str
    undo: bool = False


class SampleService:
    name = "sample"

    db = Database()
    outbox = Outbox()

    @rpc
    def record(self, value):
        self.db.execute(insert(samples).values(value=value))
        event = SampleRecordedV1(
            schema_version=1,
            event_id=f"sample-{uuid.uuid4()}",
            occurred_at=datetime.now(timezone.utc),
            value=value,
        )
        self.outbox.publish(event)
        return event.event_id

    @rpc
    def record_and_fail(self, value):
        self.db.execute(insert(samples).values(value=value))
        raise ValueError("refused after writing")

    @rpc
    def count(self, value=None):
        query = select(func.count()).select_from(samples)
        if value is not None:
            query = query.where(samples.c.value == value)
        return self.db.execute(query).scalar_one()

    @rpc
    def slow_query(self, seconds):
        self.db.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
        return seconds

    @event_consumer("sample.events", "sample_noted", model=SampleNotedV1)
    def handle_sample_noted(self, event):
        if event.pause_seconds:
            eventlet.sleep(event.pause_seconds)
        if event.value == "poison":
            raise PoisonMessage("the value 'poison' can never be applied")
        self.db.execute(insert(samples).values(value=event.value))
        if FAILURES.get(event.event_id, 0) < event.fail_times:
            FAILURES[event.event_id] = FAILURES.get(event.event_id, 0) + 1
            raise ConnectionError("database restarting (simulated passing failure)")


class BatchingSampleService:
    """The sample's batched consumer, in a service of its own so that the
    sample's other tests see the queues they always saw."""

    name = "batching_sample"

    db = Database()
    outbox = Outbox()

    @event_consumer("sample.events", "sample_batched", model=SampleBatchedV1, batch_size=10)
    def handle_sample_batched(self, event):
        if event.value == "poison":
            raise PoisonMessage("the value 'poison' can never be applied")
        self.db.execute(insert(samples).values(value=event.value))
        self.outbox.publish(_recorded(f"{event.value}-recorded"), "sample.events")
        if event.undo:
            try:
                with self.db.begin_nested():
                    self.db.execute(insert(samples).values(value=f"{event.value}-undone"))
                    self.outbox.publish(_recorded(f"{event.value}-undone"), "sample.events")
                    raise LookupError("changed its mind")
            except LookupError:
                pass


def _recorded(value: str) -> SampleRecordedV1:
    return SampleRecordedV1(schema_version=1, event_id=f"sample-{uuid.uuid4()}",
                            occurred_at=datetime.now(timezone.utc), value=value)
