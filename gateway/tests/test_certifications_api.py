"""`/api/v1/me/certifications…`, `/api/v1/me/continuing-education` and
`/api/v1/me/certification-agreement`, with identity and certs replaced by
honest fakes (the certs fake answers with standings certs gives, canned in fakes/certs.json)."""
from __future__ import annotations

import base64

import pytest
from openapi_spec_validator import validate

from .accounts import OTHER_PASSWORD, api_error, bearer
from .fakes import certs as fake_certs

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def ada(ada, certs):
    """conftest.py's Ada, who passed two exams."""
    certs.pass_exam(ada, "200-301", "2026-02-10")  # CCNA
    certs.pass_exam(ada, "350-401", "2026-03-05")  # CCNP Enterprise: core, concentration missing
    return ada


# -- certifications ----------------------------------------------------------------------------
def test_certifications_carry_the_contract_fields(client, ada):
    response = client.get("/api/v1/me/certifications", headers=bearer(client, ada))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items = {item["id"]: item for item in response.json["items"]}
    ccna = items["ccna"]
    assert (ccna["name"], ccna["status"], ccna["started_on"]) == ("CCNA", "active", "2026-02-10")
    # The core exam renewed CCNA: a new three-year period from that day.
    assert (ccna["active_on"], ccna["expires_on"]) == ("2026-03-05", "2029-03-05")
    assert ccna["progress"] == [{"description": "Pass 200-301 (Implementing and Administering Cisco Solutions)",
                                 "met": True, "still_needed": None, "met_on": "2026-02-10"}]
    assert ccna["downloads"] is False and ccna["certificate_code"]
    ccnp = items["ccnp_enterprise"]
    assert (ccnp["status"], ccnp["active_on"], ccnp["expires_on"]) == ("in_progress", None, None)
    assert [p["met"] for p in ccnp["progress"]] == [True, False]
    assert ccnp["progress"][1]["description"].startswith("Pass one of 300-410, 300-415")
    assert response.json["agreement"] == {"version": 1, "accepted": False, "accepted_at": None}


def test_one_certification_also_one_not_started(client, ada):
    headers = bearer(client, ada)

    assert client.get("/api/v1/me/certifications/ccna", headers=headers).json["status"] == "active"
    devnet = client.get("/api/v1/me/certifications/devnet_associate", headers=headers)
    assert devnet.status_code == 200
    assert (devnet.json["status"], devnet.json["history"]) == ("in_progress", [])
    api_error(client.get("/api/v1/me/certifications/jncia_junos", headers=headers), 404, "certification_not_found")


def test_the_api_needs_a_bearer_token(client, certs):
    for path in ("/api/v1/me/certifications", "/api/v1/me/certifications/ccna/certificate.pdf",
                 "/api/v1/me/continuing-education", "/api/v1/me/certification-agreement"):
        api_error(client.get(path), 401, "not_authenticated")
    assert certs.calls == []


# -- agreement and downloads -----------------------------------------------------------------
def test_downloads_wait_for_the_agreement_then_have_their_types(client, ada, certs):
    headers = bearer(client, ada)
    api_error(client.get("/api/v1/me/certifications/ccna/certificate.pdf", headers=headers), 409, "agreement_required")

    agreement = client.get("/api/v1/me/certification-agreement", headers=headers)
    assert agreement.json["needs_acceptance"] is True and agreement.json["version"] == 1
    accepted = client.post("/api/v1/me/certification-agreement", json={"version": 1}, headers=headers)
    assert accepted.status_code == 200
    assert (accepted.json["accepted_version"], accepted.json["needs_acceptance"]) == (1, False)

    for name, content_type, filename in (("logo.svg", "image/svg+xml", "ccna-logo.svg"),
                                         ("logo.png", "image/png", "ccna-logo.png"),
                                         ("certificate.pdf", "application/pdf", "ccna-certificate.pdf")):
        response = client.get(f"/api/v1/me/certifications/ccna/{name}", headers=headers)
        assert response.status_code == 200, name
        assert response.mimetype == content_type
        assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    api_error(client.get("/api/v1/me/certifications/ccnp_enterprise/logo.svg", headers=headers), 409,
           "certification_not_active")


def test_an_old_agreement_version_is_refused(client, ada, certs):
    certs.publish_certification_agreement("cisco", "Cisco Certification and Logo Agreement", "New.", "sam")
    headers = bearer(client, ada)

    api_error(client.post("/api/v1/me/certification-agreement", json={"version": 1}, headers=headers), 409,
           "agreement_version_mismatch")
    api_error(client.post("/api/v1/me/certification-agreement", json={"version": "2"}, headers=headers), 422,
           "validation_failed")
    assert certs.acceptances == {}


def test_another_candidate_gets_nothing_of_the_first_ones(client, ada, grace, certs):
    headers = bearer(client, grace, OTHER_PASSWORD)
    client.post("/api/v1/me/certification-agreement", json={"version": 1}, headers=headers)

    assert client.get("/api/v1/me/certifications", headers=headers).json["items"] == []
    assert client.get("/api/v1/me/certifications/ccna", headers=headers).json["active_on"] is None
    api_error(client.get("/api/v1/me/certifications/ccna/certificate.pdf", headers=headers), 409,
           "certification_not_active")
    assert {call["candidate_id"] for _, call in certs.calls if "candidate_id" in call} == {grace}


# -- continuing education ------------------------------------------------------------------------
def test_continuing_education_lists_activities_and_balances(client, ada, certs):
    certs.add_activity(ada, title="Cisco Live 2026", completed_on="2026-06-10", status="approved", credits=8)

    response = client.get("/api/v1/me/continuing-education", headers=bearer(client, ada))

    assert response.status_code == 200
    [activity] = response.json["items"]
    assert activity | {"submitted_at": None, "reviewed_at": None} == {
        "id": 1, "kind": "ce", "title": "Cisco Live 2026", "provider": "Cisco Live", "completed_on": "2026-06-10",
        "certification_id": None, "credits": 8, "status": "approved", "reason": None,
        "submitted_at": None, "reviewed_at": None}
    balances = {b["certification_id"]: b for b in response.json["balances"]}
    assert balances["ccna"]["credits_available"] == 8 and balances["ccna"]["renews_with_ce"] is True
    assert balances["ccna"]["recertification_summary"].endswith("or 22 more CE credits")
    assert balances["ccna"]["recertification"][-1] == {
        "name": "30 CE credits", "description": "Earn 30 CE credits", "met": False,
        "still_needed": "22 more CE credits", "ce_credits_counted": 8, "deferred_to": None}


def test_continuing_education_lists_a_juniper_certification_that_renews_without_ce(client, fake_identity, certs):
    radia = fake_identity.add_candidate("Radia", "Perlman", "radia@example.com", password=OTHER_PASSWORD,
                                        program="juniper")
    certs.pass_exam(radia, "JN0-105", "2026-02-01")

    [balance] = client.get("/api/v1/me/continuing-education", headers=bearer(client, radia, OTHER_PASSWORD)
                           ).json["balances"]

    assert (balance["certification_id"], balance["renews_with_ce"], balance["credits_available"]) == (
        "jncia_junos", False, None)
    assert [path["name"] for path in balance["recertification"]] == ["An associate or higher exam",
                                                                      "An approved course"]


def test_continuing_education_of_a_candidate_certs_does_not_know_yet_is_empty(client, ada, certs, monkeypatch):
    def not_known_yet(candidate_id):
        raise fake_certs.CandidateNotFound({"message": "No certification record for this candidate."})

    monkeypatch.setattr(certs, "continuing_education", not_known_yet)
    response = client.get("/api/v1/me/continuing-education", headers=bearer(client, ada))

    assert response.status_code == 200
    assert response.json == {"items": [], "balances": [], "course_certifications": []}


def test_submitting_an_activity_with_its_document_in_base64(client, ada, certs):
    body = {"title": "Cisco Live 2026", "provider": "Cisco Live", "completed_on": "2026-11-01", "kind": "ce",
            "document": {"filename": "certificate.pdf", "data_b64": base64.b64encode(PDF).decode()}}

    response = client.post("/api/v1/me/continuing-education", json=body, headers=bearer(client, ada))

    assert response.status_code == 201, response.json
    assert (response.json["status"], response.json["title"]) == ("pending", "Cisco Live 2026")
    assert certs.activities[0]["candidate_id"] == ada
    assert certs.activities[0]["document"]["data"] == PDF


def test_a_refused_submission_names_its_fields(client, ada, certs):
    body = {"title": "Old", "provider": "Cisco Live", "completed_on": "2026-01-01", "kind": "ce",
            "document": {"filename": "x.gif", "data_b64": base64.b64encode(b"GIF89a").decode()}}

    error = api_error(client.post("/api/v1/me/continuing-education", json=body, headers=bearer(client, ada)),
                   422, "invalid_submission")

    assert error["fields"] == {"completed_on": "Submit an activity within 90 days of its completion.",
                               "document": "The document must be a PDF, JPEG or PNG file."}
    assert certs.activities == []


def test_a_submission_cannot_name_another_candidate(client, ada, grace, certs):
    body = {"title": "T", "provider": "P", "completed_on": "2026-11-01", "kind": "ce", "candidate_id": ada,
            "document": {"filename": "c.pdf", "data_b64": base64.b64encode(PDF).decode()}}

    error = api_error(client.post("/api/v1/me/continuing-education", json=body,
                               headers=bearer(client, grace, OTHER_PASSWORD)), 422, "validation_failed")

    assert "candidate_id" in error["fields"]
    assert certs.activities == []


# -- the OpenAPI document --------------------------------------------------------------------------
def test_the_operations_are_in_the_openapi_document(client, certs):
    document = client.get("/api/v1/openapi.json").json
    validate(document)

    paths = document["paths"]
    for path in ("/api/v1/me/certifications", "/api/v1/me/certifications/{certification_id}",
                 "/api/v1/me/certifications/{certification_id}/certificate.pdf",
                 "/api/v1/me/continuing-education", "/api/v1/me/certification-agreement"):
        assert paths[path]["get"]["security"] == [{"bearerAuth": []}], path
    assert "requestBody" in paths["/api/v1/me/continuing-education"]["post"]
    assert "security" not in paths["/api/v1/verify/certificate/{code}"]["get"]
    item = document["components"]["schemas"]["Certification"]
    assert {"id", "name", "status", "started_on", "active_on", "expires_on", "progress"} <= set(item["required"])
