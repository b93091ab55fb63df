"""Vendor messages in, sittings and announcements out — on the real broker."""
from __future__ import annotations

import json

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from tests.harness.messages import capture_queue, drain, publish_raw, wait_for
from tests.harness.vendor import linked, registration, result, revocation


def send(amqp_uri, routing_key, body, exchange="vendor.events"):
    publish_raw(amqp_uri, exchange, routing_key, body, body["event_id"])


@pytest.fixture
def announcements(amqp_uri):
    return capture_queue(amqp_uri, "exams.events", "#")


def history(amqp_uri, candidate_id):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=10) as proxy:
        return proxy.exams.testing_history(candidate_id)["items"]


def test_registration_asks_identity_who_the_candidate_is(exams, amqp_uri):
    queue = capture_queue(amqp_uri, "exams.events", "candidate_reported")
    send(amqp_uri, "exam_registration", registration("REG-1", email="ann@example.com"))
    reported = [json.loads(m["body"]) for m in drain(amqp_uri, queue)]
    assert len(reported) == 1
    assert reported[0]["registration_number"] == "REG-1"
    assert reported[0]["candidate"]["email"] == "ann@example.com"


def test_result_is_announced_once_identity_links_the_registration(exams, amqp_uri):
    passed = capture_queue(amqp_uri, "exams.events", "exam_passed")
    available = capture_queue(amqp_uri, "exams.events", "exam_results_available")
    send(amqp_uri, "exam_result", result("REG-2"))
    # Stored, but nobody to announce it to yet.
    assert drain(amqp_uri, passed, quiet_seconds=1.0) == []

    send(amqp_uri, "registration_linked", linked("REG-2", "CSCO10000002"), "identity.events")
    announced = [json.loads(m["body"]) for m in drain(amqp_uri, passed)]
    assert [(a["candidate_id"], a["exam_code"], a["score"]) for a in announced] == [
        ("CSCO10000002", "200-301", 842)]
    assert [json.loads(m["body"])["candidate_id"] for m in drain(amqp_uri, available)] == [
        "CSCO10000002"]

    items = history(amqp_uri, "CSCO10000002")
    assert [(i["exam_code"], i["result"], i["registration_number"], i["revoked"]) for i in items] \
        == [("200-301", "pass", "REG-2", False)]
    assert items[0]["test_center"] == {"id": "TC-88231", "name": "Online proctored", "country": "US"}


def test_result_for_a_linked_registration_is_announced_at_once(exams, amqp_uri):
    failed = capture_queue(amqp_uri, "exams.events", "exam_failed")
    send(amqp_uri, "registration_linked", linked("REG-3", "CSCO10000003"), "identity.events")
    send(amqp_uri, "exam_result", result("REG-3", score=700))
    announced = wait_for(lambda: drain(amqp_uri, failed, quiet_seconds=0.3), timeout=15)
    assert json.loads(announced[0]["body"])["candidate_id"] == "CSCO10000003"


def test_a_second_result_is_a_correction_and_the_latest_wins(exams, amqp_uri):
    failed = capture_queue(amqp_uri, "exams.events", "exam_failed")
    send(amqp_uri, "registration_linked", linked("REG-4", "CSCO10000004"), "identity.events")
    send(amqp_uri, "exam_result", result("REG-4", score=842))
    wait_for(lambda: history(amqp_uri, "CSCO10000004"), message="first result")
    send(amqp_uri, "exam_result", result("REG-4", score=801))
    wait_for(lambda: history(amqp_uri, "CSCO10000004")[0]["score"] == 801, message="correction")
    items = history(amqp_uri, "CSCO10000004")
    assert len(items) == 1 and items[0]["result"] == "fail" and items[0]["corrected"] is True
    assert len(wait_for(lambda: drain(amqp_uri, failed, quiet_seconds=0.3))) == 1


def test_revocation_marks_the_sitting_and_is_announced(exams, amqp_uri):
    revoked = capture_queue(amqp_uri, "exams.events", "sitting_revoked")
    send(amqp_uri, "registration_linked", linked("REG-5", "CSCO10000005"), "identity.events")
    send(amqp_uri, "exam_result", result("REG-5"))
    wait_for(lambda: history(amqp_uri, "CSCO10000005"))
    send(amqp_uri, "exam_result_revoked", revocation("REG-5"))
    wait_for(lambda: history(amqp_uri, "CSCO10000005")[0]["revoked"])
    item = history(amqp_uri, "CSCO10000005")[0]
    assert item["revoked_reason"] == "exam security violation"
    body = json.loads(wait_for(lambda: drain(amqp_uri, revoked, quiet_seconds=0.3))[0]["body"])
    assert body["candidate_id"] == "CSCO10000005" and body["reason"] == "exam security violation"


def test_revocation_that_arrives_before_its_result_still_applies(exams, amqp_uri):
    send(amqp_uri, "registration_linked", linked("REG-6", "CSCO10000006"), "identity.events")
    send(amqp_uri, "exam_result_revoked", revocation("REG-6", reason="scoring error"))
    send(amqp_uri, "exam_result", result("REG-6"))
    wait_for(lambda: history(amqp_uri, "CSCO10000006"), message="the result")
    item = history(amqp_uri, "CSCO10000006")[0]
    assert item["revoked"] is True and item["revoked_reason"] == "scoring error"


def test_history_is_newest_first_and_only_the_candidates_own(exams, amqp_uri):
    send(amqp_uri, "registration_linked", linked("REG-7", "CSCO10000007"), "identity.events")
    send(amqp_uri, "registration_linked", linked("REG-8", "CSCO10000007"), "identity.events")
    send(amqp_uri, "registration_linked", linked("REG-9", "CSCO10000009"), "identity.events")
    send(amqp_uri, "exam_result", result("REG-7", taken_at="2026-01-05T10:00:00Z"))
    send(amqp_uri, "exam_result", result("REG-8", taken_at="2026-03-05T10:00:00Z",
                                         exam=("350-401", "ENCOR")))
    send(amqp_uri, "exam_result", result("REG-9"))
    wait_for(lambda: len(history(amqp_uri, "CSCO10000007")) == 2)
    assert [i["registration_number"] for i in history(amqp_uri, "CSCO10000007")] == ["REG-8", "REG-7"]
    assert [i["registration_number"] for i in history(amqp_uri, "CSCO10000009")] == ["REG-9"]
