"""@event_consumer: idempotent, dead-lettering, retrying — on a real broker."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from sample_service import SampleService
from tests.harness.messages import drain, publish_raw, wait_for

QUEUE = "evt-sample-sample_noted--sample.handle_sample_noted"


def noted(value, event_id=None, **extra):
    return {
        "schema_version": 1,
        "event_id": event_id or f"note-{uuid.uuid4()}",
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "value": value,
        **extra,
    }


def rows(engine, value=None):
    query = "SELECT count(*) FROM samples" + (" WHERE value = :v" if value else "")
    with engine.connect() as connection:
        return connection.execute(text(query), {"v": value}).scalar_one()


@pytest.fixture
def sample(container_factory, sample_config, sample_db):
    container = container_factory(SampleService, sample_config)
    container.start()
    return container


def test_same_event_id_delivered_ten_times_is_applied_once(sample, sample_db, amqp_uri):
    body = noted("once")
    for _ in range(10):
        publish_raw(amqp_uri, "sample.events", "sample_noted", body, body["event_id"])
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("marker"))
    wait_for(lambda: rows(sample_db, "marker") == 1, message="marker applied")
    wait_for(lambda: rows(sample_db, "once") >= 1)
    assert rows(sample_db, "once") == 1


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"{not json", "not UTF-8 JSON"),
        (b"\xff\xfe\x00", "not UTF-8 JSON"),
        (json.dumps({"schema_version": 1, "event_id": "x"}).encode(), "value"),
        (json.dumps(noted("ok") | {"occurred_at": "2026-11-20T14:30:00"}).encode(), "offset"),
        (json.dumps(noted("ok") | {"schema_version": "1"}).encode(), "schema_version"),
        (json.dumps([1, 2]).encode(), "JSON object"),
    ],
    ids=["broken-json", "not-utf8", "missing-field", "naive-time", "version-as-text", "array"],
)
def test_invalid_message_is_dead_lettered_with_reason_and_does_not_block(
    sample, sample_db, amqp_uri, raw, reason
):
    publish_raw(amqp_uri, "sample.events", "sample_noted", raw, "bad-1")
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("behind"))
    wait_for(lambda: rows(sample_db, "behind") == 1, message="the good message behind")
    dead = drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5)
    assert len(dead) == 1
    assert dead[0]["body"] == raw
    assert dead[0]["message_id"] == "bad-1"
    assert reason in dead[0]["headers"]["x-certtrack-reason"]
    assert dead[0]["headers"]["x-certtrack-queue"] == QUEUE


def test_wrong_content_type_is_dead_lettered_not_fatal(sample, sample_db, amqp_uri):
    publish_raw(amqp_uri, "sample.events", "sample_noted", b"hello", "text-1",
                content_type="text/plain")
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("after-text"))
    wait_for(lambda: rows(sample_db, "after-text") == 1)
    assert len(drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.5)) == 1


def test_handler_rejection_is_dead_lettered_at_once(sample, sample_db, amqp_uri):
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("poison"), "poison-1")
    dead = wait_for(lambda: drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.3))
    assert "can never be applied" in dead[0]["headers"]["x-certtrack-reason"]
    assert rows(sample_db) == 0


def test_passing_failure_is_retried_then_applied_once(sample, sample_db, amqp_uri):
    # Fails twice (rolled back each time), succeeds on the third delivery.
    body = noted("flaky", fail_times=2)
    publish_raw(amqp_uri, "sample.events", "sample_noted", body, body["event_id"])
    wait_for(lambda: rows(sample_db, "flaky") == 1, timeout=20, message="retried success")
    assert drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=1.0) == []
    assert rows(sample_db, "flaky") == 1


def test_failure_that_never_passes_is_dead_lettered_after_the_last_retry(
    sample, sample_db, amqp_uri
):
    body = noted("hopeless", fail_times=99)
    publish_raw(amqp_uri, "sample.events", "sample_noted", body, body["event_id"])
    dead = wait_for(lambda: drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.3), timeout=20)
    reason = dead[0]["headers"]["x-certtrack-reason"]
    assert "failed after 3 attempts" in reason and "database restarting" in reason
    assert rows(sample_db, "hopeless") == 0


@pytest.mark.slow
def test_flood_of_duplicates_in_shuffled_order_is_applied_exactly_once(sample, sample_db, amqp_uri):
    import random

    bodies = [noted(f"flood-{i}") for i in range(300)]
    deliveries = bodies * 2
    random.Random(7).shuffle(deliveries)
    from kombu import Connection, Exchange

    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for body in deliveries:
            producer.publish(json.dumps(body).encode(), exchange=Exchange("sample.events", type="topic"),
                             routing_key="sample_noted", content_type="application/json",
                             delivery_mode=2, message_id=body["event_id"], declare=[])

    def flood_rows():
        with sample_db.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM samples WHERE value LIKE 'flood-%'")).scalar_one()

    wait_for(lambda: flood_rows() >= 300, timeout=60, message="300 distinct events applied")
    time.sleep(1.0)  # let any late duplicate finish
    assert flood_rows() == 300
    with sample_db.connect() as connection:
        distinct = connection.execute(text(
            "SELECT count(DISTINCT value) FROM samples WHERE value LIKE 'flood-%'")).scalar_one()
    assert distinct == 300
