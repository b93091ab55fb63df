"""Continuing education over RPC: submission checks, the staff queue, review
with audit and mail, and the re-evaluation an approval triggers."""
from __future__ import annotations

import base64
import json

import pytest
from nameko.exceptions import RemoteError

from tests.harness.messages import capture_queue, drain, wait_for

from services.certs.tests.events import PDF, PNG, document, mails_to, passed, register, text_of

CSCO, OTHER, JNPR = "CSCO10000001", "CSCO10000002", "JNPR10000001"
LATE = "CSCO10000003"
TODAY = "2026-06-01"


def remote_fields(error: RemoteError) -> dict:
    return json.loads(error.value)


def submit(rpc, candidate=CSCO, **changes):
    arguments = dict(candidate_id=candidate, title="Cisco Live: SD-WAN deep dive", provider="Cisco Live",
                     completed_on="2026-05-01", kind="ce", certification_id=None, document=document())
    arguments.update(changes)
    return rpc.submit_ce_activity(**arguments)


@pytest.fixture
def certs(start_certs, certs_amqp, certs_db):
    start_certs(today=TODAY)
    register(certs_amqp, certs_db, CSCO, "ce.ada@example.com")
    register(certs_amqp, certs_db, OTHER, "ce.other@example.com", first_name="Grace", last_name="Hopper")
    register(certs_amqp, certs_db, JNPR, "ce.juniper@example.com")


@pytest.mark.parametrize("changes, field", [
    ({"document": document(b"MZ\x90\x00 not a document", "certificate.pdf")}, "document"),
    ({"document": document(b"%PDF-" + b"0" * (5 * 1024 * 1024), "big.pdf")}, "document"),
    ({"document": {"filename": "x.pdf", "data_b64": "not base64!"}}, "document"),
    ({"completed_on": "2026-03-02"}, "completed_on"),  # 91 days before today
    ({"completed_on": "2026-06-02"}, "completed_on"),  # in the future
    ({"title": "  "}, "title"),
    ({"kind": "webinar"}, "kind"),
    ({"kind": "course", "certification_id": "ccna"}, "certification_id"),  # Cisco has no course path
])
def test_refused_submissions_name_the_field(certs, rpc, changes, field):
    with pytest.raises(RemoteError) as refused:
        submit(rpc, **changes)
    assert refused.value.exc_type == "InvalidSubmission"
    assert field in remote_fields(refused.value)
    assert rpc.continuing_education(CSCO)["items"] == []


def test_documents_are_recognised_by_content_not_name(certs, rpc):
    png = submit(rpc, document=document(PNG, "scan.pdf"))
    jpeg = submit(rpc, document=document(b"\xff\xd8\xff\xe0" + b"\x00" * 20, "photo.jpg"))
    on_the_edge = submit(rpc, completed_on="2026-03-03")  # exactly 90 days ago
    assert rpc.ce_activity_document(png["id"])["content_type"] == "image/png"
    assert rpc.ce_activity_document(jpeg["id"])["content_type"] == "image/jpeg"
    assert on_the_edge["status"] == "pending"


def test_staff_queue_approval_with_audit_mail_and_renewal(certs, rpc, certs_amqp, certs_db, smtp_server):
    recertified = capture_queue(certs_amqp, "certs.events", "certification_recertified")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2024-01-15")
    first = submit(rpc, title="Networking webinar", completed_on="2026-04-01")
    second = submit(rpc, title="Routing workshop", completed_on="2026-05-01")
    other = submit(rpc, candidate=OTHER, title="Someone else's")

    queue = rpc.ce_review_queue()
    assert [a["id"] for a in queue] == [first["id"], second["id"], other["id"]]  # oldest first
    assert queue[0]["candidate_name"] == "Ada Lovelace" and queue[0]["document_filename"] == "certificate.pdf"
    assert base64.b64decode(rpc.ce_activity_document(first["id"])["data_b64"]) == PDF

    with pytest.raises(RemoteError) as bad:
        rpc.approve_ce_activity(activity_id=first["id"], credits=0, staff="reviewer@example.com")
    assert bad.value.exc_type == "InvalidReview" and "credits" in remote_fields(bad.value)

    rpc.approve_ce_activity(activity_id=first["id"], credits=20, staff="reviewer@example.com")
    ce = rpc.continuing_education(CSCO)
    [balance] = [b for b in ce["balances"] if b["certification_id"] == "ccna"]
    assert balance["credits_available"] == 20 and "10 more CE credits" in balance["recertification_summary"]
    approved = rpc.approve_ce_activity(activity_id=second["id"], credits=15, staff="lead@example.com")
    assert approved["status"] == "approved" and approved["credits"] == 15

    detail = rpc.ce_activity(second["id"])
    assert detail["reviewed_by"] == "lead@example.com" and detail["reviewed_at"]
    with pytest.raises(RemoteError) as twice:
        rpc.reject_ce_activity(activity_id=second["id"], reason="late", staff="other@example.com")
    assert twice.value.exc_type == "ActivityAlreadyReviewed"

    [event] = [json.loads(m["body"]) for m in drain(certs_amqp, recertified)]
    assert (event["certification_id"], event["active_on"], event["path"]) == ("ccna", "2026-05-01", "30 CE credits")
    items = rpc.continuing_education(CSCO)["items"]
    assert [i["title"] for i in items] == ["Routing workshop", "Networking webinar"]  # newest first
    assert all(i["status"] == "approved" for i in items)
    assert rpc.continuing_education(OTHER)["items"][0]["title"] == "Someone else's"

    def approvals():
        return [m for m in mails_to(smtp_server, "ce.ada@example.com") if "approved" in m["Subject"]]

    wait_for(lambda: len(approvals()) == 2, message="two approval mails")
    texts = sorted(text_of(m) for m in approvals())
    assert "20 CE credits" in texts[0] + texts[1]
    assert any("It completed a recertification: CCNA" in t for t in texts)


def test_credits_approved_after_an_announced_expiry_renew_it_as_a_recertification(
        start_certs, rpc, certs_amqp, certs_db, smtp_server):
    start_certs(today="2027-02-01")
    register(certs_amqp, certs_db, LATE, "ce.late@example.com")
    achieved = capture_queue(certs_amqp, "certs.events", "certification_achieved")
    recertified = capture_queue(certs_amqp, "certs.events", "certification_recertified")
    passed(certs_amqp, certs_db, LATE, "200-301", "2024-01-15")  # expired on 15 Jan 2027
    wait_for(lambda: [m for m in mails_to(smtp_server, "ce.late@example.com") if "has expired" in m["Subject"]],
             message="the expiry mail")

    # Credits completed on 1 Dec 2026, while CCNA was still active, approved after its expiry was announced.
    activity = submit(rpc, candidate=LATE, completed_on="2026-12-01")
    rpc.approve_ce_activity(activity_id=activity["id"], credits=30, staff="reviewer@example.com")

    [event] = [json.loads(m["body"]) for m in drain(certs_amqp, recertified)]
    assert (event["certification_id"], event["active_on"], event["expires_on"], event["path"]) == (
        "ccna", "2026-12-01", "2029-12-01", "30 CE credits")
    assert drain(certs_amqp, achieved) == []
    wait_for(lambda: [m for m in mails_to(smtp_server, "ce.late@example.com") if "is renewed until" in m["Subject"]],
             message="the recertified mail")
    assert not [m for m in mails_to(smtp_server, "ce.late@example.com") if "Congratulations" in m["Subject"]]


def test_rejection_keeps_the_reason_and_mails_it(certs, rpc, smtp_server):
    activity = submit(rpc)
    with pytest.raises(RemoteError) as no_reason:
        rpc.reject_ce_activity(activity_id=activity["id"], reason=" ", staff="reviewer@example.com")
    assert "reason" in remote_fields(no_reason.value)
    rejected = rpc.reject_ce_activity(activity_id=activity["id"], reason="The document is unreadable.",
                                      staff="reviewer@example.com")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "The document is unreadable.")
    assert rpc.ce_review_queue() == []
    [mail] = wait_for(lambda: [m for m in mails_to(smtp_server, "ce.ada@example.com")
                               if "not approved" in m["Subject"]])
    assert "The document is unreadable." in text_of(mail)
    with pytest.raises(RemoteError) as missing:
        rpc.ce_activity(999999)
    assert missing.value.exc_type == "ActivityNotFound"


def test_every_active_certification_shows_what_each_path_still_needs(certs, rpc, certs_amqp, certs_db):
    passed(certs_amqp, certs_db, JNPR, "JN0-105", "2024-01-10")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-01-10")
    passed(certs_amqp, certs_db, CSCO, "100-150", "2026-01-11")

    # JNCIA-Junos renews by exam or course, never by CE credits: shown all the same, with no balance.
    [jncia] = rpc.continuing_education(JNPR)["balances"]
    assert (jncia["name"], jncia["expires_on"], jncia["renews_with_ce"], jncia["credits_available"]) == (
        "JNCIA-Junos", "2027-01-10", False, None)
    assert [(path["name"], path["still_needed"]) for path in jncia["recertification"]] == [
        ("An associate or higher exam", "one associate, specialist, professional or expert exam"),
        ("An approved course", "an approved course completion for JNCIA-Junos")]

    balances = {b["certification_id"]: b for b in rpc.continuing_education(CSCO)["balances"]}
    assert sorted(balances) == ["ccna", "ccst_networking"]
    ccna = balances["ccna"]
    assert (ccna["renews_with_ce"], ccna["credits_available"]) == (True, 0)
    assert [(path["name"], path["still_needed"]) for path in ccna["recertification"]] == [
        ("Any associate exam", "one associate exam"),
        ("Any professional concentration exam", "one professional concentration exam"),
        ("A core exam", "one core exam"),
        ("An expert written or lab exam", "one expert written or lab exam"),
        ("30 CE credits", "30 CE credits")]
    # CCST never expires: listed, with nothing to renew.
    ccst = balances["ccst_networking"]
    assert (ccst["expires_on"], ccst["recertification"], ccst["credits_available"]) == (None, [], None)


def test_course_completion_is_offered_only_for_active_certifications_that_renew_by_course(
        certs, rpc, certs_amqp, certs_db):
    assert rpc.continuing_education(JNPR)["course_certifications"] == []  # nothing active yet
    passed(certs_amqp, certs_db, JNPR, "JN0-105", "2024-01-10")
    passed(certs_amqp, certs_db, CSCO, "200-301", "2026-01-10")

    assert rpc.continuing_education(JNPR)["course_certifications"] == [
        {"certification_id": "jncia_junos", "name": "JNCIA-Junos"}]
    assert rpc.continuing_education(CSCO)["course_certifications"] == []  # Cisco renews by no course


def test_an_approved_juniper_course_renews_its_certification(certs, rpc, certs_amqp, certs_db):
    passed(certs_amqp, certs_db, JNPR, "JN0-105", "2024-01-10")
    with pytest.raises(RemoteError) as unmapped:
        submit(rpc, candidate=JNPR, kind="course", certification_id=None)
    assert "certification_id" in remote_fields(unmapped.value)
    course = submit(rpc, candidate=JNPR, kind="course", certification_id="jncia_junos",
                    title="Introduction to the Junos Operating System", provider="Juniper Education")
    rpc.approve_ce_activity(activity_id=course["id"], credits=None, staff="reviewer@example.com")
    [item] = rpc.certifications(JNPR)["items"]
    assert (item["id"], item["status"], item["active_on"]) == ("jncia_junos", "active", "2026-05-01")
