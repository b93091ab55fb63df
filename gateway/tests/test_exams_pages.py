"""Testing History and the exam agreement on the candidate site, with identity
and exams replaced by honest fakes (gateway/tests/fakes/identity.py, gateway/tests/fakes/exams.py)."""
from __future__ import annotations

import re

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD, PASSWORD


def _text(response) -> str:
    return response.get_data(as_text=True)


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("</tr>")[:-1]]


# -- who sees it --------------------------------------------------------------------------
def test_testing_history_needs_a_login_and_is_not_in_the_nav_before(client, fake_identity, fake_exams):
    response = client.get("/testing-history")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/testing-history"
    assert "Testing History" not in _text(client.get("/"))
    assert fake_exams.calls == []


def test_the_nav_leads_a_logged_in_candidate_to_testing_history(as_ada):
    home = _text(as_ada.get("/"))
    assert '<a href="/testing-history">Testing History</a>' in home

    page = _text(as_ada.get("/testing-history"))
    assert '<a href="/testing-history" aria-current="page">Testing History</a>' in page
    assert "<h1>Testing History</h1>" in page


def test_a_candidate_without_exams_sees_the_empty_state(as_ada):
    page = _text(as_ada.get("/testing-history"))

    assert "You have no exam results yet." in page
    assert "<table" not in page


# -- the table --------------------------------------------------------------------------------
def test_history_lists_every_sitting_newest_first_with_its_details(as_ada, ada, fake_exams):
    fake_exams.add_sitting(ada, "460000001", taken_at="2026-01-05T10:00:00Z", score=700,
                           test_center=("TC-1", "Pearson Professional Centers-London", "GB"))
    fake_exams.add_sitting(ada, "460000002", exam_code="350-401",
                           exam_title="Implementing and Operating Cisco Enterprise Network Core Technologies",
                           taken_at="2026-03-05T14:30:00Z", score=900, passing_score=825)

    response = as_ada.get("/testing-history")

    assert response.status_code == 200
    rows = _rows(_text(response))
    assert len(rows) == 2
    assert rows[0] == ("350-401 Implementing and Operating Cisco Enterprise Network Core Technologies "
                       "5 Mar 2026, 14:30 UTC 900 / 825 to pass Pass Online proctored United States 460000002")
    assert rows[1] == ("200-301 Implementing and Administering Cisco Solutions 5 Jan 2026, 10:00 UTC "
                       "700 / 825 to pass Fail Pearson Professional Centers-London United Kingdom 460000001")
    assert '<span class="badge badge--pass">Pass</span>' in _text(response)
    assert '<span class="badge badge--fail">Fail</span>' in _text(response)


def test_a_revoked_result_is_marked_with_its_reason(as_ada, ada, fake_exams):
    fake_exams.add_sitting(ada, "460000003", revoked_reason="exam security violation")

    page = _text(as_ada.get("/testing-history"))

    assert 'class="exam-history__revoked"' in page
    assert '<span class="badge badge--revoked">Revoked</span>' in page
    assert "Revoked on 9 Dec 2026: exam security violation. This result no longer counts" in re.sub(r"\s+", " ", page)


def test_a_candidate_sees_only_their_own_exams(client, fake_identity, fake_exams, ada, grace):
    fake_exams.add_sitting(ada, "460000010")
    fake_exams.add_sitting(grace, "460000011")
    log_in(client, grace, OTHER_PASSWORD)

    page = _text(client.get("/testing-history"))

    assert "460000011" in page and "460000010" not in page
    assert fake_exams.called("testing_history") == [{"candidate_id": grace}]


def test_page_text_from_the_vendor_is_escaped(as_ada, ada, fake_exams):
    fake_exams.add_sitting(ada, "460000012", exam_title="<script>alert(1)</script>")

    page = _text(as_ada.get("/testing-history"))

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# -- the exam agreement -------------------------------------------------------------------------
def test_a_candidate_who_has_not_accepted_sees_the_text_and_an_accept_button(as_ada):
    page = _text(as_ada.get("/testing-history"))

    assert "Before you take an exam, read the Cisco Certification Exam Agreement (version 1) and accept it." in page
    assert "<p>Exams are confidential.</p>\n<p>Take the exam yourself.</p>" in page
    assert 'action="/testing-history/agreement"' in page
    assert '<input id="version" name="version" type="hidden" value="1">' in page
    assert "I accept version 1 of the exam agreement</button>" in page


def test_accepting_records_the_version_and_shows_when(as_ada, ada, fake_exams):
    response = submit(as_ada, "/testing-history/agreement", {"version": "1"}, form_page="/testing-history")

    assert response.status_code == 303
    assert response.headers["Location"] == "/testing-history#agreement"
    assert fake_exams.called("accept_exam_agreement") == [{"candidate_id": ada, "program": "cisco", "version": 1}]
    page = re.sub(r"\s+", " ", _text(as_ada.get("/testing-history")))
    assert "Thank you: you accepted version 1 of the exam agreement." in page
    assert "You accepted version 1 of the Cisco Certification Exam Agreement on" in page
    assert "25 Nov 2026, 10:00 UTC" in page
    assert "I accept version" not in page
    assert "Read the agreement you accepted" in page


def test_a_new_version_asks_again(as_ada, ada, fake_exams):
    submit(as_ada, "/testing-history/agreement", {"version": "1"}, form_page="/testing-history")
    fake_exams.publish_exam_agreement("cisco", "Cisco Certification Exam Agreement", "New rules.",
                                    staff="sam@certtrack.example")

    page = re.sub(r"\s+", " ", _text(as_ada.get("/testing-history")))

    assert "You accepted version 1 on" in page
    assert "A new version, version 2, was published" in page
    assert "<p>New rules.</p>" in page
    assert "I accept version 2 of the exam agreement</button>" in page


def test_accepting_a_version_replaced_meanwhile_says_so_and_records_nothing(as_ada, fake_exams):
    page = _text(as_ada.get("/testing-history"))
    fake_exams.publish_exam_agreement("cisco", "Cisco Certification Exam Agreement", "Newer.",
                                    staff="sam@certtrack.example")

    response = as_ada.post("/testing-history/agreement", data={"version": "1", "csrf_token": csrf_token(page)},
                           follow_redirects=True)

    text = re.sub(r"\s+", " ", _text(response))
    assert "A newer version of the exam agreement (version 2) was published while you were reading." in text
    assert fake_exams.acceptances == []


def test_accepting_needs_the_forms_csrf_token(as_ada, fake_exams):
    response = as_ada.post("/testing-history/agreement", data={"version": "1"})

    assert response.status_code == 400
    assert fake_exams.called("accept_exam_agreement") == []


@pytest.mark.parametrize("version", ["", "0", "1 OR 1=1", "99999999999"])
def test_a_tampered_version_is_refused_without_asking_exams(as_ada, fake_exams, version):
    response = submit(as_ada, "/testing-history/agreement", {"version": version}, form_page="/testing-history")

    assert response.status_code == 303
    assert fake_exams.called("accept_exam_agreement") == []


def test_the_agreement_follows_the_candidates_program(client, fake_identity, fake_exams):
    juniper = fake_identity.add_candidate("Radia", "Perlman", "radia@example.com", password=PASSWORD,
                                          program="juniper")
    log_in(client, juniper, PASSWORD)

    page = _text(client.get("/testing-history"))

    assert "Juniper Networks Certification Program Exam Agreement" in page
    assert fake_exams.called("exam_agreement") == [{"candidate_id": juniper, "program": "juniper"}]


def test_exams_being_down_is_a_page_in_words(as_ada, app):
    from .fakes.exams import FakeServices

    app.extensions["rpc"] = FakeServices(identity=app.extensions["rpc"].services["identity"])

    response = as_ada.get("/testing-history")

    assert response.status_code == 503
    assert "temporarily unavailable" in _text(response)
