"""What certs announces: events through the outbox, mails, expert numbers,
exactly once, and nothing when the handler fails."""
from __future__ import annotations

import json

from sqlalchemy import text

from tests.harness.messages import capture_queue, drain, publish_raw, wait_for

from services.certs.tests.events import (
    apply, exam_result, mails_to, passed, processed, register, revoke, text_of,
)

CSCO = "CSCO10000001"


def bodies(messages):
    return [json.loads(message["body"]) for message in messages]


def test_the_same_event_delivered_twice_publishes_one_achievement(start_certs, certs_amqp, certs_db, rpc):
    achieved = capture_queue(certs_amqp, "certs.events", "certification_achieved")
    start_certs(today="2026-06-01")
    body = exam_result(CSCO, "200-301", "2026-03-02")
    for _ in range(2):
        publish_raw(certs_amqp, "exams.events", "exam_passed", body, body["event_id"])
    # A second delivery of the same sitting under a new event id changes nothing either.
    again = dict(exam_result(CSCO, "200-301", "2026-03-02", sitting_id=body["sitting_id"]))
    apply(certs_amqp, certs_db, ("exams.events", "exam_passed", again))
    wait_for(lambda: processed(certs_db) >= 2)

    [event] = bodies(drain(certs_amqp, achieved))
    assert (event["certification_id"], event["status"], event["revision"]) == ("ccna", "active", 1)
    assert event["first_achievement"] is True
    assert event["active_on"] == "2026-03-02" and event["expires_on"] == "2029-03-02"
    assert [item["sku"] for item in event["kit"] if item["initial"]]
    assert rpc.certifications(CSCO)["items"][0]["id"] == "ccna"


def test_achievement_mails_the_candidate_and_later_changes_increase_the_revision(
        start_certs, certs_amqp, certs_db, rpc, smtp_server):
    recertified = capture_queue(certs_amqp, "certs.events", "certification_recertified")
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "ada.achieves@example.com")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2024-01-15")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-01")

    [event] = bodies(drain(certs_amqp, recertified))
    assert (event["revision"], event["active_on"], event["path"]) == (2, "2026-03-01", "Any associate exam")
    mails = wait_for(lambda: len(mails_to(smtp_server, "ada.achieves@example.com")) >= 2 and
                     mails_to(smtp_server, "ada.achieves@example.com"))
    subjects = sorted(m["Subject"] for m in mails)
    assert subjects == ["Congratulations: you are now CCNA certified",
                        "Your CCNA certification is renewed until March 1, 2029"]


def test_a_mail_waits_for_the_address_when_the_sitting_came_first(
        start_certs, certs_amqp, certs_db, smtp_server):
    start_certs(today="2026-06-01")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    register(certs_amqp, certs_db, CSCO, "late.address@example.com")
    [mail] = wait_for(lambda: mails_to(smtp_server, "late.address@example.com"))
    assert "CCNA" in mail["Subject"] and "Hello Ada" in text_of(mail)


def test_revoking_the_only_qualifying_sitting_publishes_a_revocation_and_mails(
        start_certs, certs_amqp, certs_db, rpc, smtp_server):
    revoked = capture_queue(certs_amqp, "certs.events", "certification_revoked")
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "revoked.ada@example.com")
    result = passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    revoke(certs_amqp, certs_db, result, reason="exam security violation")

    [event] = bodies(drain(certs_amqp, revoked))
    assert (event["certification_id"], event["status"], event["revision"]) == ("ccna", "revoked", 2)
    assert event["reason"] == "exam security violation" and event["sitting_ids"] == [result["sitting_id"]]
    [item] = rpc.certifications(CSCO)["items"]
    assert item["status"] == "revoked" and item["downloads"] is False
    mail = wait_for(lambda: [m for m in mails_to(smtp_server, "revoked.ada@example.com")
                             if "revoked" in m["Subject"]])[0]
    assert "exam security violation" in text_of(mail)


def test_an_achievement_re_dated_by_a_revocation_is_a_correction_without_a_second_mail(
        start_certs, certs_amqp, certs_db, rpc, smtp_server):
    achieved = capture_queue(certs_amqp, "certs.events", "certification_achieved")
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "redated.ada@example.com")
    passed(certs_amqp, certs_db, CSCO, "350-401", "2026-03-01")
    first = passed(certs_amqp, certs_db, CSCO, "300-410", "2026-03-01")
    passed(certs_amqp, certs_db, CSCO, "300-415", "2026-03-05")  # one concentration: no renewal
    revoke(certs_amqp, certs_db, first, reason="scoring error")  # CCNP now from 350-401 + 300-415

    ccnp = [e for e in bodies(drain(certs_amqp, achieved)) if e["certification_id"] == "ccnp_enterprise"]
    assert [(e["active_on"], e["first_achievement"], e["revision"]) for e in ccnp] == [
        ("2026-03-01", True, 1), ("2026-03-05", False, 2)]
    standing = {i["id"]: i for i in rpc.certifications(CSCO)["items"]}["ccnp_enterprise"]
    assert (standing["status"], standing["active_on"]) == ("active", "2026-03-05")
    wait_for(lambda: any("revoked" in m["Subject"] for m in mails_to(smtp_server, "redated.ada@example.com")))
    congratulations = [m["Subject"] for m in mails_to(smtp_server, "redated.ada@example.com")
                       if m["Subject"].startswith("Congratulations") and "CCNP" in m["Subject"]]
    assert len(congratulations) == 1


def test_a_result_corrected_to_a_fail_takes_the_certification_back(start_certs, certs_amqp, certs_db, rpc):
    revoked = capture_queue(certs_amqp, "certs.events", "certification_revoked")
    start_certs(today="2026-06-01")
    result = passed(certs_amqp, certs_db, CSCO, "200-301", "2026-03-02")
    corrected = exam_result(CSCO, "200-301", "2026-03-02", passed=False, sitting_id=result["sitting_id"])
    apply(certs_amqp, certs_db, ("exams.events", "exam_failed", corrected))
    [event] = bodies(drain(certs_amqp, revoked))
    assert (event["certification_id"], event["status"]) == ("ccna", "in_progress")
    assert rpc.certifications(CSCO)["items"][0]["status"] == "in_progress"


def test_a_first_ccie_gets_the_next_number_once(start_certs, certs_amqp, certs_db, rpc, smtp_server):
    numbers = capture_queue(certs_amqp, "certs.events", "expert_number_assigned")
    start_certs(today="2026-06-01")
    register(certs_amqp, certs_db, CSCO, "first.ccie@example.com")
    register(certs_amqp, certs_db, "CSCO10000002", "second.ccie@example.com")
    passed(certs_amqp, certs_db, CSCO, "350-401", "2025-05-01")
    passed(certs_amqp, certs_db, CSCO, "CCIE-EI-LAB", "2026-04-01")
    passed(certs_amqp, certs_db, "CSCO10000002", "350-401", "2026-04-01")
    passed(certs_amqp, certs_db, "CSCO10000002", "CCIE-EI-LAB", "2026-04-02")
    passed(certs_amqp, certs_db, CSCO, "CCIE-EI-LAB", "2026-05-01")  # renews; no new number

    assigned = sorted((e["candidate_id"], e["series"], e["number"]) for e in bodies(drain(certs_amqp, numbers)))
    assert assigned == [(CSCO, "CCIE", "1"), ("CSCO10000002", "CCIE", "2")]
    mail = wait_for(lambda: [m for m in mails_to(smtp_server, "second.ccie@example.com")
                             if "CCIE" in m["Subject"]])[0]
    assert "Your CCIE number is 2" in text_of(mail)


def test_a_failing_handler_publishes_nothing(start_certs, certs_amqp, certs_db, rpc, monkeypatch):
    """Events and mails go through the outbox in the handler's transaction: when
    the handler fails after announcing, nothing of it is published."""
    from certs.handlers import standings

    achieved = capture_queue(certs_amqp, "certs.events", "certification_achieved")
    start_certs(today="2026-06-01")

    def broken(*args, **kwargs):
        raise RuntimeError("mail templates unavailable")

    monkeypatch.setattr(standings.mails, "send", broken)
    body = exam_result(CSCO, "200-301", "2026-03-02")
    publish_raw(certs_amqp, "exams.events", "exam_passed", body, body["event_id"])

    def dead_lettered():
        with certs_db.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM dead_letters")).scalar_one()

    wait_for(dead_lettered, timeout=30, message="the failing event to be dead-lettered")
    assert drain(certs_amqp, achieved, quiet_seconds=1.5) == []
    with certs_db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outbox_messages")).scalar_one() == 0
        assert connection.execute(text("SELECT count(*) FROM published_standings")).scalar_one() == 0

    monkeypatch.undo()
    apply(certs_amqp, certs_db, ("exams.events", "exam_passed", exam_result(
        CSCO, "200-301", "2026-03-02", sitting_id=body["sitting_id"])))
    [event] = bodies(drain(certs_amqp, achieved))
    assert event["revision"] == 1 and event["first_achievement"] is True


def test_concurrent_facts_of_one_candidate_are_evaluated_one_at_a_time(start_certs, certs_amqp, certs_db, rpc):
    """Six sittings at once, on two queues: each change is announced once, with
    revisions 1, 2, … per certification and no duplicate achievement."""
    queue = capture_queue(certs_amqp, "certs.events", "certification_achieved", "certification_recertified")
    start_certs(today="2026-06-01")
    exams = [("200-301", "2026-01-05"), ("350-401", "2026-02-01"), ("300-410", "2026-02-01"),
             ("300-415", "2026-03-01"), ("200-901", "2026-03-01"), ("300-420", "2026-04-01")]
    bodies_sent = [exam_result(CSCO, code, on) for code, on in exams]
    failed = exam_result(CSCO, "200-201", "2026-01-01", passed=False)
    for body in bodies_sent:
        publish_raw(certs_amqp, "exams.events", "exam_passed", body, body["event_id"])
    publish_raw(certs_amqp, "exams.events", "exam_failed", failed, failed["event_id"])
    wait_for(lambda: processed(certs_db) >= 7, timeout=30)

    events = bodies(drain(certs_amqp, queue))
    by_certification: dict[str, list[int]] = {}
    for event in events:
        by_certification.setdefault(event["certification_id"], []).append(event["revision"])
    for certification_id, revisions in by_certification.items():
        assert sorted(revisions) == list(range(1, len(revisions) + 1)), certification_id
    # However the sittings interleave, CCNP is achieved for the first time once
    # (a late earlier-dated sitting may re-date it: a correction, not a second kit).
    assert [e["certification_id"] for e in events
            if e["certification_id"] == "ccnp_enterprise" and e.get("first_achievement")] == ["ccnp_enterprise"]
    final = {i["id"]: i for i in rpc.certifications(CSCO)["items"]}
    assert final["ccnp_enterprise"]["active_on"] == "2026-04-01"  # two concentration exams renew it
