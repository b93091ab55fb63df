"""The staff console's dead letters, with the services replaced by fakes
(gateway/tests/fakes/staff_desks.py): what staff see, what reaches the services, what is refused.
The CSRF and candidate-session checks cover the vendor key forms too; the vendor key
pages themselves are tested in test_staff_vendor_keys.py."""
from __future__ import annotations

import json
import time

import pytest

from gateway.auth import session as candidate_session

from .accounts import STAFF, form_token

RESULT = {"schema_version": 1, "event_id": "pv-1", "vendor": "pearson_vue", "score": 842,
          "passing_score": 825, "result": "fail"}


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": form_token(client, "/staff/dead-letters"), **data})


# -- the list --------------------------------------------------------------------------
def test_list_shows_held_dead_letters_of_every_service_newest_first(staff, desks):
    desks.dead_letters["exams"].add(json.dumps(RESULT).encode(), dead_lettered_at="2026-11-25T08:00:00+00:00",
                                    reason="invalid message: result 'fail' disagrees with score 842")
    desks.dead_letters["identity"].add(b"{}", queue="evt-exams-candidate_reported--identity.handle_candidate_reported",
                                       dead_lettered_at="2026-11-25T09:30:00+00:00", message_id="ex-9")
    desks.dead_letters["exams"].add(b"{}", status="discarded", message_id="pv-old")

    response = staff.get("/staff/dead-letters")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.index("ex-9") < page.index("pv-1")  # newest first, across services
    assert "disagrees with score 842" in page and "evt-exams-candidate_reported--identity" in page
    assert "pv-old" not in page  # held only, by default
    assert {"status": "held"} in desks.dead_letters["exams"].called("list_dead_letters")
    assert response.headers["Cache-Control"] == "no-store"


def test_list_filters_by_status_and_names_a_service_that_did_not_answer(staff, desks):
    desks.dead_letters["exams"].add(b"{}", status="discarded", message_id="pv-old")
    desks.unreachable.add("identity")

    page = staff.get("/staff/dead-letters?status=discarded").get_data(as_text=True)

    assert "pv-old" in page
    assert "The identity service did not answer" in page
    assert desks.dead_letters["exams"].called("list_dead_letters") == [{"status": "discarded"}]
    staff.get("/staff/dead-letters?status=all")
    assert desks.dead_letters["exams"].called("list_dead_letters")[-1] == {"status": None}


# -- one dead letter -------------------------------------------------------------------
def test_detail_shows_the_body_as_indented_json_with_headers_and_reason(staff, desks):
    desks.dead_letters["exams"].add(json.dumps(RESULT).encode())

    page = staff.get("/staff/dead-letters/exams/1").get_data(as_text=True)

    assert '&#34;result&#34;: &#34;fail&#34;' in page  # indented JSON, escaped
    assert "x-certtrack-reason" in page
    assert 'action="/staff/dead-letters/exams/1/replay"' in page
    assert 'action="/staff/dead-letters/exams/1/discard"' in page


def test_undecodable_or_hostile_bodies_are_shown_escaped(staff, desks):
    desks.dead_letters["exams"].add(b"\xff\xfe<script>alert(1)</script>")
    desks.dead_letters["exams"].add(b"<img src=x onerror=alert(1)>\x00")

    raw = staff.get("/staff/dead-letters/exams/1").get_data(as_text=True)
    text = staff.get("/staff/dead-letters/exams/2").get_data(as_text=True)

    assert "<script>alert" not in raw and r"\xff\xfe&lt;script&gt;" in raw
    assert "bytes that are not UTF-8" in raw
    assert "<img src=x" not in text and "&lt;img src=x" in text and r"\x00" in text


def test_a_service_outside_the_topology_is_never_called(staff, desks):
    assert staff.get("/staff/dead-letters/gateway/1").status_code == 404
    assert staff.get("/staff/dead-letters/billing/1").status_code == 404  # no such service
    assert staff.get("/staff/dead-letters/exams/99").status_code == 404  # DeadLetterNotFound


# -- replay and discard -------------------------------------------------------------------
def test_replay_sends_the_corrected_body_with_the_staff_member_and_shows_the_audit(staff, desks):
    desks.dead_letters["exams"].add(json.dumps(RESULT).encode())
    fixed = json.dumps(dict(RESULT, result="pass"))

    response = _post(staff, "/staff/dead-letters/exams/1/replay", body=fixed)

    assert response.status_code == 302
    assert desks.dead_letters["exams"].called("replay_dead_letter") == [
        {"dead_letter_id": 1, "staff": STAFF["email"], "corrected_body": fixed}]
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Replayed: the message is back on its queue" in page
    assert "Audit trail" in page and STAFF["email"] in page and "replayed" in page
    assert 'action="/staff/dead-letters/exams/1/replay"' not in page  # resolved: no more forms


def test_replay_refused_by_the_contract_keeps_the_typed_body_and_says_why(staff, desks):
    desks.dead_letters["exams"].add(json.dumps(RESULT).encode())

    response = _post(staff, "/staff/dead-letters/exams/1/replay", body='{"typed": "by staff"')

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "still fails its contract" in page
    assert "{&#34;typed&#34;: &#34;by staff&#34;" in page
    assert desks.dead_letters["exams"].items[1]["status"] == "held"


def test_replaying_what_a_colleague_resolved_changes_nothing(staff, desks):
    desks.dead_letters["exams"].add(json.dumps(dict(RESULT, result="pass")).encode())
    assert _post(staff, "/staff/dead-letters/exams/1/replay", body="").status_code == 302
    assert desks.dead_letters["exams"].called("replay_dead_letter")[0]["corrected_body"] is None

    response = _post(staff, "/staff/dead-letters/exams/1/replay", body="")

    assert response.status_code == 302
    assert "already replayed or discarded" in staff.get(response.headers["Location"]).get_data(as_text=True)


def test_discard_needs_a_reason_and_records_who(staff, desks):
    desks.dead_letters["identity"].add(b"{}")

    refused = _post(staff, "/staff/dead-letters/identity/1/discard", reason="  ")
    assert refused.status_code == 400
    assert "Say why the message is discarded" in refused.get_data(as_text=True)
    assert desks.dead_letters["identity"].called("discard_dead_letter") == []

    response = _post(staff, "/staff/dead-letters/identity/1/discard", reason="test message from the vendor")

    assert response.status_code == 302
    assert desks.dead_letters["identity"].called("discard_dead_letter") == [
        {"dead_letter_id": 1, "staff": STAFF["email"], "reason": "test message from the vendor"}]
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "test message from the vendor" in page and "Discarded by" in page


@pytest.mark.parametrize("path, data", [
    ("/staff/dead-letters/exams/1/replay", {"body": "{}"}),
    ("/staff/dead-letters/exams/1/discard", {"reason": "x"}),
    ("/staff/vendor-keys", {"vendor": "pearson_vue", "label": "x"}),
    ("/staff/vendor-keys/1/revoke", {}),
])
def test_forms_without_their_csrf_token_are_refused(staff, desks, path, data):
    desks.dead_letters["exams"].add(b"{}")
    desks.vendor_keys.issue()
    desks.vendor_keys.calls.clear()

    response = staff.post(path, data=data)

    assert response.status_code == 400
    assert desks.dead_letters["exams"].called("replay_dead_letter") == []
    assert desks.dead_letters["exams"].called("discard_dead_letter") == []
    assert desks.vendor_keys.calls == []


def test_a_candidate_session_opens_no_dead_letter_or_vendor_key_page(client, desks):
    desks.dead_letters["exams"].add(b"{}")
    for path in ("/staff/dead-letters", "/staff/dead-letters/exams/1", "/staff/vendor-keys"):
        # Forged anew each time: a page that checks the candidate's credentials
        # ends this made-up session (decision 0018).
        with client.session_transaction() as session:
            session[candidate_session.CANDIDATE_ID] = "CSCO10000001"
            session[candidate_session.CANDIDATE] = {"program": "cisco", "first_name": "Ada", "last_name": "L"}
            session[candidate_session.LOGGED_IN_AT] = int(time.time())
            session[candidate_session.SESSION_ID] = "a-candidate-session"
        assert client.get(path).status_code == 403
    assert desks.dead_letters["exams"].calls == []
