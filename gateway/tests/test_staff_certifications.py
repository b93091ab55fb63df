"""The staff console's CE review queue and catalog page, with certs and
identity replaced by fakes (gateway/tests/fakes/certs.py, gateway/tests/fakes/identity.py)."""
from __future__ import annotations

import re
import time

import pytest

from gateway.auth import session as candidate_session

from .accounts import STAFF, form_token


@pytest.fixture
def ada(ada, certs):
    """conftest.py's Ada, with CCNA."""
    certs.pass_exam(ada, "200-301", "2026-02-10")
    return ada


def _post(client, path, form_page, **data):
    return client.post(path, data={"csrf_token": form_token(client, form_page), **data})


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


URLS = [("GET", "/staff/continuing-education"), ("GET", "/staff/continuing-education/1"),
        ("GET", "/staff/continuing-education/1/document"), ("POST", "/staff/continuing-education/1/approve"),
        ("POST", "/staff/continuing-education/1/reject"), ("GET", "/staff/catalog"),
        ("POST", "/staff/catalog/reload"), ("GET", "/staff/certification-agreements"),
        ("POST", "/staff/certification-agreements/cisco")]


# -- who may --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), URLS)
def test_without_a_staff_session_nothing_reaches_certs(client, certs, ada, method, path):
    certs.add_activity(ada)
    token = form_token(client, "/staff/login")

    response = client.open(path, method=method, data={"csrf_token": token, "credits": "10", "reason": "x"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    assert certs.calls == []


@pytest.mark.parametrize(("method", "path"), URLS)
def test_a_candidate_session_gets_403(client, certs, ada, method, path):
    certs.add_activity(ada)
    token = form_token(client, "/staff/login")
    with client.session_transaction() as session:
        session[candidate_session.CANDIDATE_ID] = ada
        session[candidate_session.CANDIDATE] = {"program": "cisco", "first_name": "Ada", "last_name": "Lovelace"}
        session[candidate_session.LOGGED_IN_AT] = int(time.time())
        session[candidate_session.SESSION_ID] = "a-candidate-session"

    response = client.open(path, method=method, data={"csrf_token": token, "credits": "10", "reason": "x"})

    assert response.status_code == 403
    assert certs.calls == []


def test_the_staff_navigation_links_ce_review_and_the_catalog(staff, certs):
    page = staff.get("/staff/continuing-education").get_data(as_text=True)

    assert '<a href="/staff/continuing-education" aria-current="page">CE review</a>' in page
    assert '<a href="/staff/catalog">Catalog</a>' in page


# -- the review queue -------------------------------------------------------------------------------
def test_the_queue_lists_pending_activities_oldest_first(staff, certs, ada):
    certs.add_activity(ada, title="Cisco Live 2026")
    certs.add_activity(ada, title="Old one", status="approved", credits=5)
    certs.add_activity(ada, title="Automation workshop")

    page = _text(staff.get("/staff/continuing-education"))

    assert "2 waiting" in page
    assert page.index("#1 Cisco Live 2026") < page.index("#3 Automation workshop")
    assert "Old one" not in page
    assert f"Ada Lovelace<br><code>{ada}</code>" in page


def test_an_activity_shows_its_document_and_both_decisions(staff, certs, ada):
    certs.add_activity(ada, title="Cisco Live 2026")

    page = _text(staff.get("/staff/continuing-education/1"))
    document = staff.get("/staff/continuing-education/1/document")

    assert '<iframe class="document-frame" src="/staff/continuing-education/1/document"' in page
    assert 'action="/staff/continuing-education/1/approve"' in page and 'name="credits"' in page
    assert 'action="/staff/continuing-education/1/reject"' in page
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert document.headers["Content-Disposition"] == 'inline; filename="certificate.pdf"'
    assert "frame-ancestors 'self'" in document.headers["Content-Security-Policy"]
    assert staff.get("/staff/continuing-education/1/document?download=1").headers[
        "Content-Disposition"].startswith("attachment;")


def test_approving_gives_credits_as_the_signed_in_staff_member(staff, certs, ada):
    certs.add_activity(ada, completed_on="2026-10-01")

    response = _post(staff, "/staff/continuing-education/1/approve", "/staff/continuing-education/1", credits="30")

    assert response.status_code == 302
    assert certs.called("approve_ce_activity") == [{"activity_id": 1, "credits": 30, "staff": STAFF["email"]}]
    assert "Approved with 30 CE credits" in _text(staff.get(response.headers["Location"]))
    # The credits renewed CCNA (its 30-credit path) from the activity's completion date.
    assert certs.certification(ada, "ccna")["active_on"] == "2026-10-01"


def test_approving_a_ce_activity_needs_a_number_of_credits(staff, certs, ada):
    certs.add_activity(ada)

    missing = _post(staff, "/staff/continuing-education/1/approve", "/staff/continuing-education/1", credits="")
    refused = _post(staff, "/staff/continuing-education/1/approve", "/staff/continuing-education/1", credits="500")

    assert missing.status_code == 400
    assert "Give the number of CE credits, a whole number from 1 to 200." in _text(missing)
    assert refused.status_code == 422  # certs' own rule: 1 to 200
    assert "Give between 1 and 200 credits." in _text(refused)
    assert certs.activities[0]["status"] == "pending"


def test_rejecting_needs_a_reason_and_sends_it(staff, certs, ada):
    certs.add_activity(ada)

    empty = _post(staff, "/staff/continuing-education/1/reject", "/staff/continuing-education/1", reason=" ")
    response = _post(staff, "/staff/continuing-education/1/reject", "/staff/continuing-education/1",
                     reason="Not an approved provider.")

    assert empty.status_code == 400 and "Say why it is rejected" in _text(empty)
    assert response.status_code == 302
    assert certs.called("reject_ce_activity") == [
        {"activity_id": 1, "reason": "Not an approved provider.", "staff": STAFF["email"]}]


def test_reviewing_twice_says_so(staff, certs, ada):
    certs.add_activity(ada)
    token = form_token(staff, "/staff/continuing-education/1")
    staff.post("/staff/continuing-education/1/reject", data={"csrf_token": token, "reason": "No."})

    response = staff.post("/staff/continuing-education/1/approve", data={"csrf_token": token, "credits": "10"},
                          follow_redirects=True)

    assert "already reviewed, perhaps by a colleague" in _text(response)
    assert certs.activities[0]["status"] == "rejected"


def test_an_unknown_activity_is_a_404_page(staff, certs):
    response = staff.get("/staff/continuing-education/99")

    assert response.status_code == 404
    assert "Activity not found" in _text(response)


# -- the catalog --------------------------------------------------------------------------------------
def test_the_catalog_shows_programs_certifications_requirements_and_kits(staff, certs):
    page = _text(staff.get("/staff/catalog"))

    assert '<h2 id="program-cisco">Cisco</h2>' in page and '<h2 id="program-juniper">' in page
    assert "Pass 350-401 (Implementing Cisco Enterprise Network Core Technologies) and pass one of 300-410, 300-415" in page
    assert "<strong>30 CE credits</strong>: Earn 30 CE credits" in page
    assert "<code>CCNA-CERT</code> CCNA certificate: initial kit" in page
    assert "<code>CCNA-PLAQUE</code>" in page
    assert "Needs active: jncia_junos" in page
    assert "<code>CCIE-EI-LAB</code>" in page
    assert 'action="/staff/catalog/reload"' in page


def test_reloading_reports_what_changed(staff, certs):
    response = _post(staff, "/staff/catalog/reload", "/staff/catalog")

    assert response.status_code == 302
    assert certs.called("reload_catalog") == [{"staff": STAFF["email"]}]
    assert "Catalog reloaded (cisco, juniper): 0 changes, 0 candidates re-evaluated." in _text(
        staff.get("/staff/catalog"))


def test_an_invalid_catalog_is_refused_with_the_file_and_line(staff, certs):
    certs.catalog_problem = "cisco.yaml, line 42: certifications[3].requirements.all_of[1].exam: unknown exam '300-999'"

    response = _post(staff, "/staff/catalog/reload", "/staff/catalog")

    assert response.status_code == 422
    page = _text(response)
    assert "The catalog was not reloaded:" in page
    assert "cisco.yaml, line 42: certifications[3].requirements.all_of[1].exam: unknown exam &#39;300-999&#39;" in page


# -- certification agreements ------------------------------------------------------------------------
def test_the_agreements_page_lists_each_programs_versions_and_starts_the_next_from_the_current(staff, certs):
    page = _text(staff.get("/staff/certification-agreements"))

    assert '<a href="/staff/certification-agreements" aria-current="page">Certification agreements</a>' in page
    assert '<h2 id="program-cisco-heading">Cisco</h2>' in page and '<h2 id="program-juniper-heading">Juniper</h2>' in page
    assert "Current: <strong>version 1</strong>, Cisco Certification and Logo Agreement" in page
    assert 'action="/staff/certification-agreements/cisco"' in page
    assert 'name="title" value="Cisco Certification and Logo Agreement"' in page
    assert "Publish version 2 of the Cisco certification agreement" in page


def test_publishing_a_version_names_the_signed_in_staff_member_and_asks_candidates_again(
        staff, certs, ada, fake_identity):
    certs.accept_certification_agreement(ada, 1)

    response = _post(staff, "/staff/certification-agreements/cisco", "/staff/certification-agreements",
                     title="Cisco Certification and Logo Agreement (2027)", body="New terms.\n\nMore terms.",
                     staff="someone-else@example.com")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/certification-agreements#program-cisco")
    assert certs.called("publish_certification_agreement") == [{
        "program": "cisco", "staff": STAFF["email"], "title": "Cisco Certification and Logo Agreement (2027)",
        "body": "New terms.\n\nMore terms."}]
    page = _text(staff.get("/staff/certification-agreements"))
    assert "Version 2 of the Cisco Certification and Logo Agreement (2027) is published" in page
    assert f"<td>{STAFF['email']}</td>" in page
    assert certs.certification_agreement(ada)["needs_acceptance"] is True


def test_a_version_without_text_is_not_published(staff, certs):
    response = _post(staff, "/staff/certification-agreements/cisco", "/staff/certification-agreements",
                     title="Cisco terms", body="   ")

    assert response.status_code == 400
    assert 'id="cisco-body-problem">Required.' in _text(response)
    assert 'name="title" value="Cisco terms"' in _text(response)  # what was typed stays
    assert certs.called("publish_certification_agreement") == []


def test_the_services_refusal_is_shown_beside_its_field(staff, certs):
    response = _post(staff, "/staff/certification-agreements/juniper", "/staff/certification-agreements",
                     title="x" * 301, body="Terms.")

    assert response.status_code == 422
    page = _text(response)
    assert 'id="juniper-title-problem">Use at most 300 characters.' in page
    assert "Check the highlighted fields." not in page
    assert len(certs.agreements["juniper"]) == 1


def test_an_unknown_program_is_a_404_and_publishes_nothing(staff, certs):
    response = _post(staff, "/staff/certification-agreements/acme", "/staff/certification-agreements",
                     title="Acme", body="Terms.")

    assert response.status_code == 404
    assert certs.called("publish_certification_agreement") == []
