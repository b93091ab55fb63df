"""The staff console's exam agreements page with the exams service replaced by its fake
(gateway/tests/fakes/exams.py): what staff see, what reaches the service, what is refused."""
from __future__ import annotations

import re
import time

import pytest

from .fakes.exams import FakeExams, FakeServices
from gateway.auth import session as candidate_session

from .accounts import STAFF, form_token

ADA = "CSCO10000001"


@pytest.fixture
def exams():
    return FakeExams()


@pytest.fixture
def app(make_app, exams):
    app = make_app()
    app.extensions["rpc"].close()
    app.extensions["rpc"] = FakeServices(exams=exams)
    return app


def _publish(client, program="cisco", **data):
    return client.post(f"/staff/exam-agreements/{program}",
                       data={"csrf_token": form_token(client, "/staff/exam-agreements"), **data})


def _section(page: str, program: str) -> str:
    return page.split(f'id="program-{program}"', 1)[1].split("</section>", 1)[0]


def test_page_lists_each_programs_versions_newest_first_with_who_published_them(staff, exams):
    exams.publish_exam_agreement("cisco", "Cisco Certification Exam Agreement", "Second text.",
                                 staff="kim@certtrack.example")

    response = staff.get("/staff/exam-agreements")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    cisco = _section(page, "cisco")
    assert "Current: <strong>version 2</strong>" in cisco
    rows = re.findall(r"<tr>\s*<td>(\d+)", cisco)
    assert rows == ["2", "1"]
    assert cisco.index("kim@certtrack.example") < cisco.index("CertTrack")
    assert "2026-11-25 10:00 UTC" in cisco  # when version 2 was published
    # The form starts from the current text and offers the next version.
    assert "Publish version 3 of the Cisco agreement" in cisco
    assert re.search(r'<textarea id="cisco-body"[^>]*>Second text\.</textarea>', cisco)
    assert "Publish version 2 of the Juniper agreement" in _section(page, "juniper")
    # The navigation leads here.
    assert re.search(r'<a href="/staff/exam-agreements" aria-current="page">Exam agreements</a>', page)


def test_publishing_records_the_signed_in_staff_member_and_asks_candidates_again(staff, exams):
    exams.accept_exam_agreement(ADA, "cisco", 1)

    response = _publish(staff, title="Cisco Certification Exam Agreement",
                        body="Exam confidentiality, revised.\r\n\r\nRoom scans are required.",
                        staff="someone.else@example.com")  # a forged field is ignored

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/exam-agreements#program-cisco")
    assert exams.called("publish_exam_agreement") == [{
        "program": "cisco", "title": "Cisco Certification Exam Agreement",
        "body": "Exam confidentiality, revised.\r\n\r\nRoom scans are required.", "staff": STAFF["email"]}]
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 2 of the Cisco Certification Exam Agreement is published" in page
    assert "Current: <strong>version 2</strong>" in _section(page, "cisco")
    # Ada accepted version 1: she is asked again; Juniper's candidates are not concerned.
    status = exams.exam_agreement(ADA, "cisco")
    assert (status["needs_acceptance"], status["accepted"]["version"], status["current"]["version"]) == (
        True, 1, 2)
    assert exams.agreements["juniper"][-1]["version"] == 1


def test_missing_title_or_text_publishes_nothing_and_keeps_what_was_typed(staff, exams):
    response = _publish(staff, title="  ", body="Kept text.")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert exams.called("publish_exam_agreement") == []
    cisco = _section(page, "cisco")
    assert re.search(r'id="cisco-title-problem">Required\.<', cisco)
    assert re.search(r'<textarea id="cisco-body"[^>]*>Kept text\.</textarea>', cisco)
    assert 'aria-invalid="true"' not in _section(page, "juniper")


def test_a_refusal_by_the_service_is_shown_beside_its_field(staff, exams):
    response = _publish(staff, title="T" * 301, body="Text.")

    assert response.status_code == 422
    assert "Use at most 300 characters." in _section(response.get_data(as_text=True), "cisco")
    assert len(exams.agreements["cisco"]) == 1


def test_a_program_without_an_agreement_cannot_be_published_to(staff, exams):
    assert _publish(staff, program="acme", title="Acme", body="Text.").status_code == 404
    assert exams.called("publish_exam_agreement") == []


def test_publishing_needs_the_csrf_token(staff, exams):
    response = staff.post("/staff/exam-agreements/cisco", data={"title": "T", "body": "B"})
    assert response.status_code == 400
    assert exams.called("publish_exam_agreement") == []


def test_without_a_staff_session_the_page_sends_to_the_login_and_a_candidate_gets_403(app, client, exams):
    response = client.get("/staff/exam-agreements")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=/staff/exam-agreements")

    with client.session_transaction() as session:
        session[candidate_session.CANDIDATE_ID] = ADA
        session[candidate_session.CANDIDATE] = {"program": "cisco", "first_name": "Ada", "last_name": "Lovelace"}
        session[candidate_session.LOGGED_IN_AT] = int(time.time())
        session[candidate_session.SESSION_ID] = "a-candidate-session"
    assert client.get("/staff/exam-agreements").status_code == 403
    assert exams.called("exam_agreement_versions") == []

