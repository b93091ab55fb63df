"""Results are applied in batches (`event_consumer(..., batch_size=…)`): one
transaction per batch, a savepoint per result. What that must not change: a
result the database refuses sinks neither its batch nor anything else, and
is retried, then dead-lettered with the reason."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from exams.service import RESULT_BATCH, ExamsService
from tests.harness.databases import counted_commits
from tests.harness.messages import publish_many, wait_for
from tests.harness.vendor import result

RESULT_QUEUE = "evt-vendor-exam_result--exams.handle_exam_result"


def publish_all(amqp_uri, bodies):
    """Every body as an `exam_result`, as the development vendor, in order."""
    publish_many(amqp_uri, "vendor.events", [("exam_result", b, b["event_id"]) for b in bodies])

REFUSING_TRIGGER = """
CREATE FUNCTION refuse_marked_sitting() RETURNS trigger AS $$
BEGIN
    IF NEW.registration_number LIKE '%-refused' THEN
        RAISE EXCEPTION 'the test database refuses %', NEW.registration_number;
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER refuse_marked_sitting BEFORE INSERT ON sittings
    FOR EACH ROW EXECUTE FUNCTION refuse_marked_sitting();
"""


@pytest.fixture
def database(exams_config):
    engine = create_engine(exams_config["DATABASE_URL"])
    yield engine
    engine.dispose()


def test_a_result_the_database_refuses_does_not_sink_its_batch(
    container_factory, exams_config, database, amqp_uri, monkeypatch
):
    monkeypatch.setenv("CONSUMER_RETRY_DELAYS_MS", "100,100")
    with database.begin() as connection:
        connection.execute(text(REFUSING_TRIGGER))
    prefix = f"batch{uuid.uuid4().hex[:6]}"
    bodies = [result(f"{prefix}-{i}") for i in range(3 * RESULT_BATCH)]
    refused = result(f"{prefix}-refused")
    bodies.insert(RESULT_BATCH // 2, refused)  # in the middle of the first batch
    # All queued before exams starts: every batch is full from the first.
    publish_all(amqp_uri, bodies)

    container = container_factory(ExamsService, exams_config)
    commits = counted_commits(container, monkeypatch)
    container.start()

    def stored():
        with database.connect() as connection:
            return connection.execute(text(
                "SELECT count(*) FROM sittings WHERE registration_number LIKE :p"),
                {"p": f"{prefix}-%"}).scalar_one()

    wait_for(lambda: stored() == 3 * RESULT_BATCH, timeout=60, message="every good result")

    def dead_letters():  # archived for staff by the dead-letter desk, with the reason
        with database.connect() as connection:
            return connection.execute(text(
                "SELECT message_id, reason FROM dead_letters WHERE queue = :q"),
                {"q": RESULT_QUEUE}).all()

    dead = wait_for(dead_letters, timeout=30, message="the refused result dead-lettered")
    assert [row.message_id for row in dead] == [refused["event_id"]]
    assert dead[0].reason.startswith("failed after 3 attempts")
    assert f"refuses {prefix}-refused" in dead[0].reason

    count = stored()
    assert count == 3 * RESULT_BATCH
    # Batches really were applied together: a few transactions for 151 results
    # (plus the retries and the dead letter's archiving).
    assert len(commits) <= len(bodies) // 5
    with database.connect() as connection:
        changes = connection.execute(text(
            "SELECT count(*) FROM sitting_changes c JOIN sittings s ON s.id = c.sitting_id"
            " WHERE s.registration_number LIKE :p"), {"p": f"{prefix}-%"}).scalar_one()
    assert changes == count  # each applied once, nothing of the refused one left behind
