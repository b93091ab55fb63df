"""Events in and out of the real service, and name-change tickets end to end."""
from __future__ import annotations

import base64
import json
import os

import pytest
from nameko.exceptions import RemoteError

from tests.harness.messages import capture_queue, drain, publish_raw

from services.identity.tests.support import (
    GOOD_PASSWORD,
    PDF,
    PNG,
    b64,
    remote_detail,
    reported,
    smtp_mails_to,
    text_of,
    unique_email,
)


def bodies(messages):
    return [json.loads(message["body"]) for message in messages]


def test_a_reported_unknown_person_is_created_once_welcomed_and_linked(rpc, amqp_uri, smtp_server):
    linked = capture_queue(amqp_uri, "identity.events", "registration_linked")
    registered = capture_queue(amqp_uri, "identity.events", "candidate_registered")
    email, marker_email = unique_email("john"), unique_email("marker")
    body = reported("460123456", email=email, first_name="John", last_name="Doe")
    for _ in range(3):  # the same event_id delivered three times
        publish_raw(amqp_uri, "exams.events", "candidate_reported", body, body["event_id"])
    marker = reported("460123457", email=marker_email)
    publish_raw(amqp_uri, "exams.events", "candidate_reported", marker, marker["event_id"])

    links = drain(amqp_uri, linked)
    assert sorted(b["registration_number"] for b in bodies(links)) == ["460123456", "460123457"]
    for message, link in zip(links, bodies(links)):
        assert message["message_id"] == link["event_id"] and link["event_id"].startswith("identity-")
        assert message["properties"]["content_type"] == "application/json"
    [john] = rpc.staff_search_candidates(query=email)
    assert john["candidate_id"] in {b["candidate_id"] for b in bodies(links)}
    assert (john["first_name"], john["last_name"], john["has_password"]) == ("John", "Doe", False)
    assert len(drain(amqp_uri, registered)) == 2

    [welcome] = smtp_mails_to(smtp_server, email)
    assert "/first-time" in text_of(welcome) and john["candidate_id"] in text_of(welcome)
    smtp_mails_to(smtp_server, marker_email)
    assert len(smtp_mails_to(smtp_server, email)) == 1


def test_a_report_for_a_known_candidate_only_links_the_registration(rpc, amqp_uri, smtp_server):
    linked = capture_queue(amqp_uri, "identity.events", "registration_linked")
    email = unique_email("known")
    ada = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Lovelace", email=email)
    body = reported("460777000", email=unique_email("other"), candidate_id=ada["candidate_id"])
    publish_raw(amqp_uri, "exams.events", "candidate_reported", body, body["event_id"])
    [link] = bodies(drain(amqp_uri, linked))
    assert (link["candidate_id"], link["vendor"]) == (ada["candidate_id"], "pearson_vue")
    assert rpc.staff_search_candidates(query=body["candidate"]["email"]) == []


def test_an_import_of_new_results_is_mailed_to_the_candidate_once(rpc, amqp_uri, smtp_server):
    import time
    from datetime import datetime, timezone

    email = unique_email("results")
    ada = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Lovelace", email=email)
    for number, code in enumerate(("200-301", "350-401", "300-410")):  # one event per sitting
        body = {"schema_version": 1, "event_id": f"exams-results-{number}",
                "occurred_at": datetime.now(timezone.utc).isoformat(),
                "candidate_id": ada["candidate_id"], "exam_codes": [code]}
        publish_raw(amqp_uri, "exams.events", "exam_results_available", body, body["event_id"])

    def notices():
        return [m for m in smtp_server.messages()
                if email in str(m["To"]) and m["Subject"] == "Your recent exam results are available"]

    smtp_mails_to(smtp_server, email, count=2)  # the welcome and the results
    time.sleep(6)  # more than the quiet second plus a timer tick: a second mail would be here
    [notice] = notices()
    assert all(code in text_of(notice) for code in ("200-301", "350-401", "300-410"))


@pytest.fixture
def desk(rpc):
    return rpc.staff_create(email=unique_email("desk"), name="Help Desk", role="support",
                            password=GOOD_PASSWORD)


def documents_in(identity_config):
    folder = identity_config["IDENTITY_DOCUMENT_DIR"]
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_a_name_change_goes_through_staff_approval(rpc, amqp_uri, smtp_server, identity_config, desk):
    updates = capture_queue(amqp_uri, "identity.events", "candidate_profile_updated")
    email = unique_email("ada")
    ada = rpc.staff_create_candidate(program="cisco", first_name="Ada", last_name="Byron", email=email)

    for filename, data in (("passport.pdf", PNG), ("passport.pdf", b"garbage" * 10),
                           ("passport.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024))):
        with pytest.raises(RemoteError) as refused:
            rpc.open_name_change_ticket(candidate_id=ada["candidate_id"], first_name="Ada",
                                        last_name="Lovelace", reason="Marriage",
                                        document={"filename": filename, "data_b64": b64(data)})
        assert refused.value.exc_type == "InvalidDocument"
        assert "document" in remote_detail(refused.value)
    assert documents_in(identity_config) == []

    ticket = rpc.open_name_change_ticket(candidate_id=ada["candidate_id"], first_name="Ada",
                                         last_name="Lovelace", reason="Marriage",
                                         document={"filename": "passport.pdf", "data_b64": b64(PDF)})
    assert (ticket["status"], ticket["has_document"]) == ("open", True)
    assert len(documents_in(identity_config)) == 1
    assert [t["id"] for t in rpc.staff_list_tickets(status="open")] == [ticket["id"]]
    document = rpc.staff_get_ticket_document(ticket_id=ticket["id"])
    assert (document["content_type"], base64.b64decode(document["data_b64"])) == ("application/pdf", PDF)

    decided = rpc.staff_decide_ticket(ticket_id=ticket["id"], staff_id=desk["id"], decision="approve")
    assert (decided["status"], decided["has_document"]) == ("approved", False)
    assert documents_in(identity_config) == []
    profile = rpc.get_profile(candidate_id=ada["candidate_id"])
    assert (profile["first_name"], profile["last_name"]) == ("Ada", "Lovelace")
    [update] = bodies(drain(amqp_uri, updates))
    assert (update["candidate_id"], update["changed"], update["last_name"]) == (
        ada["candidate_id"], ["first_name", "last_name"], "Lovelace")
    mails = smtp_mails_to(smtp_server, email, count=3)  # welcome, received, approved
    assert any("approved" in text_of(m) and "Lovelace" in text_of(m) for m in mails)
    with pytest.raises(RemoteError) as gone:
        rpc.staff_get_ticket_document(ticket_id=ticket["id"])
    assert gone.value.exc_type == "NotFound"


def test_a_rejection_needs_a_reason_and_mails_it(rpc, smtp_server, identity_config, desk):
    email = unique_email("grace")
    grace = rpc.staff_create_candidate(program="cisco", first_name="Grace", last_name="Hopper",
                                       email=email)
    ticket = rpc.open_name_change_ticket(candidate_id=grace["candidate_id"], first_name="Grace",
                                         last_name="Murray", reason="",
                                         document={"filename": "id.png", "data_b64": b64(PNG)})
    with pytest.raises(RemoteError) as no_reason:
        rpc.staff_decide_ticket(ticket_id=ticket["id"], staff_id=desk["id"], decision="reject")
    assert (no_reason.value.exc_type, list(remote_detail(no_reason.value))) == ("InvalidDecision", ["reason"])
    assert len(documents_in(identity_config)) == 1
    decided = rpc.staff_decide_ticket(ticket_id=ticket["id"], staff_id=desk["id"], decision="reject",
                                      reason="The scan is blurred; please send a sharper one.")
    assert decided["status"] == "rejected" and documents_in(identity_config) == []
    assert rpc.get_profile(candidate_id=grace["candidate_id"])["last_name"] == "Hopper"
    mails = smtp_mails_to(smtp_server, email, count=3)
    assert any("The scan is blurred" in text_of(m) for m in mails)
    assert rpc.staff_get_ticket(ticket_id=ticket["id"])["decision_reason"].startswith("The scan")
