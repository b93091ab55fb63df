"""`@event_consumer(..., batch_size=N)` on a real broker: a batch claims its
events and writes its outbox rows in one statement each, and that must not
change what a message does: applied once, announced once, a savepoint the
handler rolls back takes its announcement with it, a poison message goes to
its dead-letter queue alone."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from sample_service import BatchingSampleService
from tests.harness.databases import counted_commits
from tests.harness.messages import capture_queue, drain, publish_many, wait_for

QUEUE = "evt-sample-sample_batched--batching_sample.handle_sample_batched"


def batched(value, event_id=None, **extra):
    return {"schema_version": 1, "event_id": event_id or f"batched-{uuid.uuid4()}",
            "occurred_at": datetime.now(timezone.utc).isoformat(), "value": value, **extra}


def values(engine, pattern):
    with engine.connect() as connection:
        return sorted(connection.execute(
            text("SELECT value FROM samples WHERE value LIKE :p"), {"p": pattern}).scalars())


def announced(messages):
    return sorted(json.loads(m["body"])["value"] for m in messages)


@pytest.fixture
def started(container_factory, sample_config, sample_db, monkeypatch):
    """Starts the sample service after the test queued its messages (so every
    batch is full from the first) and counts its commits."""
    def start():
        container = container_factory(BatchingSampleService, sample_config)
        commits = counted_commits(container, monkeypatch)
        container.start()
        return commits

    # The queue exists before anything is published to it.
    declaring = container_factory(BatchingSampleService, sample_config)
    declaring.start()
    declaring.stop()
    return start


def publish(amqp_uri, bodies):
    publish_many(amqp_uri, "sample.events",
                 [("sample_batched", body, body["event_id"]) for body in bodies])


def test_a_batch_applies_and_announces_each_message_once(started, sample_db, amqp_uri):
    announcements = capture_queue(amqp_uri, "sample.events", "sample_recorded")
    bodies = [batched(f"many-{i:02}") for i in range(40)]
    # A vendor's retry after a lost confirm: the same event again, in the same batch.
    bodies.insert(3, dict(bodies[2]))
    publish(amqp_uri, bodies)
    commits = started()

    wait_for(lambda: len(values(sample_db, "many-%")) >= 40, message="every message applied")
    messages = drain(amqp_uri, announcements, quiet_seconds=1.5)
    assert values(sample_db, "many-%") == [f"many-{i:02}" for i in range(40)]
    assert announced(messages) == [f"many-{i:02}-recorded" for i in range(40)]
    # Applied together: 41 deliveries in a handful of transactions.
    assert len(commits) <= 10


def test_a_savepoint_the_handler_rolls_back_takes_its_announcement_with_it(
        started, sample_db, amqp_uri):
    announcements = capture_queue(amqp_uri, "sample.events", "sample_recorded")
    bodies = [batched(f"undo-{i}") for i in range(9)]
    bodies.insert(4, batched("undo-x", undo=True))
    publish(amqp_uri, bodies)
    started()

    wait_for(lambda: len(values(sample_db, "undo-%")) >= 10, message="every message applied")
    messages = drain(amqp_uri, announcements, quiet_seconds=1.5)
    assert values(sample_db, "undo-%") == sorted([f"undo-{i}" for i in range(9)] + ["undo-x"])
    assert announced(messages) == sorted(
        [f"undo-{i}-recorded" for i in range(9)] + ["undo-x-recorded"])


def test_a_poison_message_is_dead_lettered_alone_and_its_batch_applied(
        started, sample_db, amqp_uri):
    bodies = [batched(f"mixed-{i}") for i in range(9)]
    poison = batched("poison")
    bodies.insert(5, poison)
    publish(amqp_uri, bodies)
    started()

    wait_for(lambda: len(values(sample_db, "mixed-%")) >= 9, message="its neighbours applied")
    dead = drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=1.0)
    assert [m["message_id"] for m in dead] == [poison["event_id"]]
    assert "can never be applied" in dead[0]["headers"]["x-certtrack-reason"]
    with sample_db.connect() as connection:
        claimed = connection.execute(text(
            "SELECT count(*) FROM processed_events"
            " WHERE handler = 'batching_sample.handle_sample_batched'"
            " AND event_id = :e"), {"e": poison["event_id"]}).scalar_one()
    assert claimed == 0
