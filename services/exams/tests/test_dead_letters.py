"""Dead letters of exams' queues: archived for staff, replayed after a fix, discarded —
on the real broker and database (certtrack_shared/deadletters/)."""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection
from nameko.exceptions import RemoteError
from sqlalchemy import text

from tests.harness.messages import drain, publish_raw, wait_for
from tests.harness.vendor import result

RESULT_QUEUE = "evt-vendor-exam_result--exams.handle_exam_result"
STAFF = "sam@certtrack.example"


def sittings(db, number) -> int:
    with db.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM sitting_changes c JOIN sittings s ON s.id = c.sitting_id "
            "WHERE s.registration_number = :n"), {"n": number}).scalar_one()


def poison(number):
    """An exam_result whose `result` disagrees with its score: invalid input."""
    body = result(number, score=842, passing=825)
    return dict(body, result="fail")


def archived(rpc, message_id, count=1, status=None):
    """The dead letters of `message_id`, once `count` of them are archived."""
    def found():
        items = [d for d in rpc.list_dead_letters(status=status) if d["message_id"] == message_id]
        return items if len(items) >= count else None
    return wait_for(found, timeout=20, message=f"{count} archived dead letter(s) of {message_id}")


def test_poison_result_is_dead_lettered_archived_and_listed(exams, rpc, amqp_uri):
    bad = poison("DL-1")
    publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])

    [listed] = archived(rpc, bad["event_id"])
    assert listed["service"] == "exams"
    assert listed["queue"] == RESULT_QUEUE
    assert (listed["exchange"], listed["routing_key"]) == ("vendor.events", "exam_result")
    assert listed["status"] == "held"
    assert "disagrees with score" in listed["reason"]
    # Taken off the DLQ into the archive: nothing is left on the queue itself.
    assert drain(amqp_uri, f"{RESULT_QUEUE}.dlq", quiet_seconds=0.3) == []

    detail = rpc.get_dead_letter(listed["id"])
    assert json.loads(detail["body_text"]) == bad
    assert detail["headers"]["x-certtrack-queue"] == RESULT_QUEUE
    assert detail["audit"] == []
    assert [d["id"] for d in rpc.list_dead_letters(status="held")].count(listed["id"]) == 1
    assert listed["id"] not in [d["id"] for d in rpc.list_dead_letters(status="replayed")]


def test_replay_after_fixing_the_body_creates_the_sitting_and_is_audited(exams, rpc, amqp_uri, db):
    bad = poison("DL-2")
    publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])
    [dead] = archived(rpc, bad["event_id"])
    assert sittings(db, "DL-2") == 0

    fixed = json.dumps(dict(bad, result="pass"), indent=2)
    replayed = rpc.replay_dead_letter(dead["id"], STAFF, corrected_body=fixed)

    assert replayed["status"] == "replayed"
    assert replayed["resolved_by"] == STAFF and replayed["resolved_at"]
    [entry] = replayed["audit"]
    assert (entry["action"], entry["staff"]) == ("replayed", STAFF)
    assert json.loads(entry["body_before"])["result"] == "fail"
    assert json.loads(entry["body_after"])["result"] == "pass"
    wait_for(lambda: sittings(db, "DL-2") == 1, message="the replayed result applied")


def test_replaying_twice_does_not_apply_twice(exams, rpc, amqp_uri, db):
    bad = poison("DL-3")
    # The vendor sent the same bad message twice: two dead letters, one event.
    for _ in range(2):
        publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])
    first, second = archived(rpc, bad["event_id"], count=2)
    fixed = json.dumps(dict(bad, result="pass"))

    rpc.replay_dead_letter(first["id"], STAFF, corrected_body=fixed)
    with pytest.raises(RemoteError) as again:
        rpc.replay_dead_letter(first["id"], STAFF, corrected_body=fixed)
    assert again.value.exc_type == "DeadLetterAlreadyResolved"
    wait_for(lambda: sittings(db, "DL-3") == 1, message="the replay applied")

    # The other copy carries the same event_id: the consumer skips it.
    rpc.replay_dead_letter(second["id"], STAFF, corrected_body=fixed)
    wait_for(lambda: replay_sent(db, second["id"]), message="the second replay published")
    # Queued behind the replay: once it is applied, the replay has been handled.
    marker = result("DL-3-marker")
    publish_raw(amqp_uri, "vendor.events", "exam_result", marker, marker["event_id"])
    wait_for(lambda: sittings(db, "DL-3-marker") == 1, message="a message sent after the replays")
    time.sleep(0.5)
    assert sittings(db, "DL-3") == 1  # one sitting, no correction


def replay_sent(db, dead_letter_id) -> bool:
    with db.connect() as connection:
        return connection.execute(text(
            "SELECT sent_at IS NOT NULL FROM outbox_messages WHERE message_id = :key"),
            {"key": f"dead-letter-{dead_letter_id}-replay"}).scalar() or False


def test_discard_records_who_and_why(exams, rpc, amqp_uri):
    bad = poison("DL-4")
    publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])
    [dead] = archived(rpc, bad["event_id"])

    with pytest.raises(RemoteError) as no_reason:
        rpc.discard_dead_letter(dead["id"], STAFF, "  ")
    assert no_reason.value.exc_type == "InvalidDeadLetterRequest"
    assert "reason" in json.loads(no_reason.value.value)

    discarded = rpc.discard_dead_letter(dead["id"], STAFF, "vendor resent it corrected as pv-2")
    assert (discarded["status"], discarded["resolved_by"], discarded["note"]) == (
        "discarded", STAFF, "vendor resent it corrected as pv-2")
    [entry] = discarded["audit"]
    assert (entry["action"], entry["staff"], entry["note"]) == (
        "discarded", STAFF, "vendor resent it corrected as pv-2")
    assert [d["id"] for d in rpc.list_dead_letters(status="discarded")] == [dead["id"]]
    with pytest.raises(RemoteError) as replay:
        rpc.replay_dead_letter(dead["id"], STAFF)
    assert replay.value.exc_type == "DeadLetterAlreadyResolved"


def test_a_correction_must_pass_the_contract_and_keep_the_event_id(exams, rpc, amqp_uri, db):
    bad = poison("DL-5")
    publish_raw(amqp_uri, "vendor.events", "exam_result", bad, bad["event_id"])
    [dead] = archived(rpc, bad["event_id"])

    for body, why in [
        (None, "still fails its contract"),  # as received: still invalid
        (json.dumps(dict(bad, score="high")), "score"),
        ("{not json", "JSON"),
        (json.dumps(dict(bad, result="pass", event_id="pv-other")), "Keep the event_id"),
    ]:
        with pytest.raises(RemoteError) as refused:
            rpc.replay_dead_letter(dead["id"], STAFF, corrected_body=body)
        assert refused.value.exc_type == "InvalidDeadLetterCorrection"
        assert why in json.loads(refused.value.value)["body"]
    assert rpc.get_dead_letter(dead["id"])["status"] == "held"
    assert sittings(db, "DL-5") == 0


def test_undecodable_body_is_archived_as_bytes(exams, rpc, amqp_uri):
    message_id = f"raw-{uuid.uuid4()}"
    publish_raw(amqp_uri, "vendor.events", "exam_result", b"\xff\xfe<script>", message_id)
    [dead] = archived(rpc, message_id)
    detail = rpc.get_dead_letter(dead["id"])
    assert detail["body_text"] is None
    assert detail["body_b64"] == "//48c2NyaXB0Pg=="
    assert "not UTF-8 JSON" in detail["reason"]


def test_a_redelivered_dead_letter_is_archived_once(exams, rpc, amqp_uri):
    body = json.dumps(poison("DL-6")).encode()
    headers = {"x-certtrack-reason": "invalid message: test", "x-certtrack-queue": RESULT_QUEUE,
               "x-certtrack-dead-lettered-at": datetime(2026, 11, 24, 10, 0, 0, 123456,
                                                        tzinfo=timezone.utc).isoformat()}
    message_id = f"again-{uuid.uuid4()}"
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for _ in range(3):  # as if the archive crashed between its commit and its ack
            producer.publish(body, exchange="", routing_key=f"{RESULT_QUEUE}.dlq",
                             message_id=message_id, headers=headers, delivery_mode=2,
                             content_type="application/json", declare=[])
    marker = f"marker-{uuid.uuid4()}"
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(b"{}", exchange="", routing_key=f"{RESULT_QUEUE}.dlq",
                                      message_id=marker, delivery_mode=2, declare=[])
    archived(rpc, marker)
    assert len([d for d in rpc.list_dead_letters() if d["message_id"] == message_id]) == 1


def test_unknown_dead_letter_and_status(exams, rpc):
    with pytest.raises(RemoteError) as missing:
        rpc.get_dead_letter(999999)
    assert missing.value.exc_type == "DeadLetterNotFound"
    with pytest.raises(RemoteError) as status:
        rpc.list_dead_letters(status="lost")
    assert status.value.exc_type == "InvalidDeadLetterRequest"
