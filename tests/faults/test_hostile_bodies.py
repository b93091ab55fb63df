"""Hostile bodies between valid results: each is dead-lettered with its reason,
the exams process survives it (same PID), and the valid result published after
it is applied within seconds."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.faults.traffic import RESULT_QUEUE, VendorPublisher, new_prefix
from tests.harness.vendor import result

NEXT_RESULT_SECONDS = 10
DEAD_LETTER_SECONDS = 30


def _with(body: dict, field: str, raw: bytes) -> bytes:
    """`body` as JSON with `field` (top level) replaced by raw bytes."""
    placeholder = f"@@{uuid.uuid4().hex}@@"
    return json.dumps({**body, field: placeholder}).encode().replace(
        json.dumps(placeholder).encode(), raw)


# Each takes a valid result and spoils it: (body bytes, content type).
def deep_nesting(body):
    # ~200 KB of arrays nested 100,000 deep: past Python's recursion limit when parsed.
    return _with(body, "candidate", b"[" * 100_000 + b"]" * 100_000), "application/json"


def invalid_utf8(body):
    return _with(body, "test_center", b'{"id": "TC-1", "name": "\xff\xfe\xc3(", "country": "US"}'), \
        "application/json"


def million_digit_number(body):
    return _with(body, "score", b"9" * 1_000_000), "application/json"


def ten_megabyte_body(body):
    # 10 MB in a field the contract ignores: only its size says it is not a vendor's result.
    return json.dumps(dict(body, padding="x" * (10 * 1024 * 1024))).encode(), "application/json"


def json_as_text_plain(body):
    # A valid result in every other way: only the content type says it is not JSON.
    return json.dumps(body).encode(), "text/plain"


HOSTILE = [deep_nesting, invalid_utf8, million_digit_number, ten_megabyte_body, json_as_text_plain]


@pytest.mark.slow
@pytest.mark.parametrize("spoil", HOSTILE, ids=lambda spoil: spoil.__name__.replace("_", "-"))
def test_hostile_body_is_dead_lettered_and_the_next_result_applied_within_seconds(
    spoil, fault_stack, exams_ledger, figures
):
    exams = fault_stack["exams"]
    pid = exams.pid
    prefix = new_prefix("hostile")
    before, after = result(f"{prefix}-before"), result(f"{prefix}-after")
    hostile_body = result(f"{prefix}-hostile")
    raw, content_type = spoil(hostile_body)
    hostile_id = hostile_body["event_id"]
    vendor = VendorPublisher(fault_stack.node.amqp_uri)
    try:
        vendor.publish(before, before["event_id"])
        vendor.publish(raw, hostile_id, content_type=content_type)
        vendor.publish(after, after["event_id"])
        published = time.monotonic()
    finally:
        vendor.close()

    fault_stack.wait_for(lambda: exams_ledger.sitting_exists(f"{prefix}-after"), NEXT_RESULT_SECONDS,
                         f"the valid result after the {spoil.__name__} body to be applied")
    applied_after = time.monotonic() - published
    assert exams.alive and exams.pid == pid, f"exams was {pid}, now {exams.state()}"
    assert exams_ledger.sitting_exists(f"{prefix}-before")
    assert not exams_ledger.sitting_exists(f"{prefix}-hostile"), \
        f"the {spoil.__name__} body ({len(raw):,} bytes, {content_type}) was applied as a result"
    dead = fault_stack.wait_for(lambda: exams_ledger.dead_letters([hostile_id]), DEAD_LETTER_SECONDS,
                                f"the {spoil.__name__} body in exams' dead letters "
                                f"(archived from {RESULT_QUEUE}.dlq)")
    figures(f"hostile {spoil.__name__}: {len(raw):,} bytes ({content_type}); next valid result "
            f"applied {applied_after:.2f}s after publish; dead-lettered: {dead[0]['reason'][:100]!r}")
    assert len(dead) == 1 and dead[0]["queue"] == RESULT_QUEUE and dead[0]["reason"]


@pytest.mark.slow
def test_a_body_over_the_brokers_hard_cap_is_refused_at_publish_and_the_next_result_applied(
    fault_stack, exams_ledger, figures
):
    from kombu import Connection

    from tests.harness.rabbit_node import BROKER_MAX_MESSAGE_SIZE

    exams = fault_stack["exams"]
    pid = exams.pid
    prefix = new_prefix("overcap")
    oversized = result(f"{prefix}-oversized")
    raw = json.dumps(dict(oversized, padding="x" * (BROKER_MAX_MESSAGE_SIZE + 1024))).encode()
    with Connection(fault_stack.node.amqp_uri, connect_timeout=5,
                    transport_options={"confirm_publish": True}) as connection:
        with pytest.raises(Exception) as refused:
            connection.Producer().publish(
                raw, exchange="vendor.events", routing_key="exam_result", delivery_mode=2,
                content_type="application/json", message_id=oversized["event_id"], declare=[],
                timeout=30)
    assert "max size" in str(refused.value) or "PRECONDITION_FAILED" in str(refused.value)

    after = result(f"{prefix}-after")
    vendor = VendorPublisher(fault_stack.node.amqp_uri)
    try:
        vendor.publish(after, after["event_id"])
    finally:
        vendor.close()
    fault_stack.wait_for(lambda: exams_ledger.sitting_exists(f"{prefix}-after"), NEXT_RESULT_SECONDS,
                         "the valid result after the refused one to be applied")
    assert exams.alive and exams.pid == pid
    assert not exams_ledger.sitting_exists(f"{prefix}-oversized")
    figures(f"over the broker's cap: {len(raw):,} bytes refused at publish "
            f"({str(refused.value)[:80]!r})")
