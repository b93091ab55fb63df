"""The dead-letter archive and desk (certtrack_shared/deadletters/) on the sample service:
inherited entrypoints, a handler's rejection archived and replayed with the
consumer's own contract, the archive waiting out a database that is down."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_extension
from sqlalchemy import create_engine, text

from certtrack_shared.config import SERVICES
from certtrack_shared.deadletters import DeadLetterArchive, DeadLetterDesk, json_safe
from certtrack_shared.entrypoints import Rpc
from sample_service import SampleService
from tests.harness.messages import drain, publish_raw, wait_for

QUEUE = "evt-sample-sample_noted--sample.handle_sample_noted"


class DeskSampleService(DeadLetterDesk, SampleService):
    """The sample service with the dead-letter desk mixed in, as exams and identity have it."""


def noted(value, event_id):
    return {"schema_version": 1, "event_id": event_id,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "value": value}


@pytest.fixture
def desk(container_factory, private_sample, smtp_server):
    amqp_uri, url = private_sample
    container = container_factory(DeskSampleService, {
        "AMQP_URI": amqp_uri, "DATABASE_URL": url, "SMTP_URL": smtp_server.url,
        "OUTBOX_POLL_SECONDS": 0.2, "max_workers": 10,
    })
    container.start()
    engine = create_engine(url)
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=15) as proxy:
        yield container, proxy.sample, amqp_uri, engine
    container.stop()  # before private_sample deletes the vhost under it
    engine.dispose()


def samples(engine, value) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM samples WHERE value = :v"), {"v": value}).scalar_one()


def test_the_mixin_brings_its_rpcs_and_the_archive(desk):
    container, *_ = desk
    rpcs = {ep.method_name for ep in container.entrypoints if isinstance(ep, Rpc)}
    assert {"list_dead_letters", "get_dead_letter", "replay_dead_letter",
            "discard_dead_letter", "record"} <= rpcs
    archive = get_extension(container, DeadLetterArchive)
    assert [source.queue.name for source in archive.sources] == [f"{QUEUE}.dlq"]


def test_handler_rejection_is_archived_and_replayed_against_the_consumers_contract(desk):
    _container, sample, amqp_uri, engine = desk
    publish_raw(amqp_uri, "sample.events", "sample_noted", noted("poison", "ev-1"), "ev-1")
    [dead] = wait_for(lambda: sample.list_dead_letters(), message="archived")
    assert "can never be applied" in dead["reason"]
    assert drain(amqp_uri, f"{QUEUE}.dlq", quiet_seconds=0.3) == []

    # The sample contract is not in the registry: the consumer's own model decides.
    corrected = json.dumps(noted("cured", "ev-1"))
    sample.replay_dead_letter(dead["id"], "ops@example.com", corrected_body=corrected)
    wait_for(lambda: samples(engine, "cured") == 1, message="the replay applied")


def test_archive_keeps_the_dead_letter_while_the_database_is_unavailable(desk):
    container, sample, amqp_uri, engine = desk
    archive = get_extension(container, DeadLetterArchive)
    calls = []
    real = archive.store.__func__

    from certtrack_shared.deadletters import extension
    extension.ARCHIVE_RETRY_SECONDS, saved = 0.2, extension.ARCHIVE_RETRY_SECONDS

    def flaky(self, source, body, message):
        calls.append(1)
        if len(calls) == 1:
            # As if the database were down: nothing stored, the message handed back.
            extension.eventlet.sleep(extension.ARCHIVE_RETRY_SECONDS)
            self.queue_consumer.requeue_message(message)
            return
        real(self, source, body, message)

    archive.store = flaky.__get__(archive)
    try:
        publish_raw(amqp_uri, "sample.events", "sample_noted", b"{broken", "ev-2")
        wait_for(lambda: sample.list_dead_letters(), message="archived after the retry")
    finally:
        extension.ARCHIVE_RETRY_SECONDS = saved
    assert len(calls) >= 2
    assert len(sample.list_dead_letters()) == 1


def test_header_values_become_json():
    stamp = datetime(2026, 11, 24, tzinfo=timezone.utc)
    assert json_safe({"a": b"x\xff", "b": [stamp, 1, None], "c": {"d": True}}) == {
        "a": "x\\xff", "b": ["2026-11-24T00:00:00+00:00", 1, None], "c": {"d": True}}


@pytest.mark.parametrize("service", SERVICES)
def test_nameko_run_finds_exactly_one_service_in_each_service_module(service):
    # A mixin imported by name into service.py would be started as a second "service".
    from nameko.cli.run import import_service

    assert [cls.name for cls in import_service(f"{service}.service")] == [service]


def test_whatever_a_publisher_put_in_the_message_does_not_stop_the_archive(desk):
    from kombu import Connection

    _container, sample, amqp_uri, _engine = desk
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            b"\x00", exchange="", routing_key=f"{QUEUE}.dlq", message_id="m" * 250 + "\x00",
            headers={"x-certtrack-reason": "nul \x00 inside", "x-other": b"\xff"}, declare=[])
    [dead] = wait_for(lambda: sample.list_dead_letters(), message="archived")
    assert dead["reason"] == "nul \\x00 inside"
    assert dead["message_id"] == "m" * 200
    assert sample.get_dead_letter(dead["id"])["headers"]["x-other"] == "\\xff"


def test_a_body_over_the_cap_is_archived_truncated_and_not_replayed_as_received(desk):
    _container, sample, amqp_uri, engine = desk
    huge = dict(noted("huge", "ev-huge"), pad="x" * 2 * 1024 * 1024)
    publish_raw(amqp_uri, "sample.events", "sample_noted", huge, "ev-huge")
    [dead] = wait_for(lambda: sample.list_dead_letters(), message="archived")
    assert "too large" in dead["reason"]
    detail = sample.get_dead_letter(dead["id"])
    assert len(base64.b64decode(detail["body_b64"])) == 4096
    assert detail["headers"]["x-certtrack-original-size"] == len(json.dumps(huge).encode())

    with pytest.raises(Exception) as refused:
        sample.replay_dead_letter(dead["id"], "ops@example.com")
    assert "only its beginning was kept" in str(refused.value)
    # Staff can still send what the message should have been.
    sample.replay_dead_letter(dead["id"], "ops@example.com",
                              corrected_body=json.dumps(noted("huge", "ev-huge")))
    wait_for(lambda: samples(engine, "huge") == 1, message="the corrected replay applied")
