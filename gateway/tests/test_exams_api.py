"""`/api/v1/me/exams` and `/api/v1/me/exam-agreement`, with identity and exams
replaced by honest fakes."""
from __future__ import annotations

import pytest

from .accounts import OTHER_PASSWORD, api_error, bearer


# -- /me/exams ------------------------------------------------------------------------------
def test_exams_are_listed_newest_first_with_the_contract_fields(client, ada, fake_exams):
    fake_exams.add_sitting(ada, "460000001", taken_at="2026-01-05T10:00:00Z", score=700)
    fake_exams.add_sitting(ada, "460000002", exam_code="350-401", exam_title="ENCOR",
                           taken_at="2026-03-05T10:00:00Z", revoked_reason="scoring error")

    response = client.get("/api/v1/me/exams", headers=bearer(client, ada))

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    items = response.json["items"]
    assert [i["registration_number"] for i in items] == ["460000002", "460000001"]
    assert items[0] == {
        "exam_code": "350-401", "exam_title": "ENCOR", "taken_at": "2026-03-05T10:00:00Z",
        "score": 842, "passing_score": 825, "result": "pass", "registration_number": "460000002",
        "vendor": "pearson_vue", "test_center": {"id": "TC-88231", "name": "Online proctored", "country": "US"},
        "revoked": True, "revoked_reason": "scoring error", "revoked_at": "2026-12-09T10:00:00Z",
        "corrected": False,
    }
    assert (items[1]["result"], items[1]["revoked"], items[1]["revoked_reason"]) == ("fail", False, None)


def test_no_exams_is_an_empty_list(client, ada):
    response = client.get("/api/v1/me/exams", headers=bearer(client, ada))

    assert response.status_code == 200
    assert response.json == {"items": []}


def test_each_candidate_gets_only_their_own_exams(client, ada, grace, fake_exams):
    fake_exams.add_sitting(ada, "460000010")
    fake_exams.add_sitting(grace, "460000011")

    as_grace = client.get("/api/v1/me/exams", headers=bearer(client, grace, OTHER_PASSWORD)).json["items"]
    as_ada = client.get("/api/v1/me/exams", headers=bearer(client, ada)).json["items"]

    assert [i["registration_number"] for i in as_grace] == ["460000011"]
    assert [i["registration_number"] for i in as_ada] == ["460000010"]


@pytest.mark.parametrize("path", ["/api/v1/me/exams", "/api/v1/me/exam-agreement"])
def test_candidate_endpoints_need_a_bearer_token(client, fake_exams, path):
    missing = client.get(path)
    forged = client.get(path, headers={"Authorization": "Bearer not-a-token"})

    api_error(missing, 401, "not_authenticated")
    api_error(forged, 401, "invalid_token")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake_exams.calls == []


# -- /me/exam-agreement ---------------------------------------------------------------------------
def test_the_agreement_of_the_candidates_program_and_its_acceptance(client, ada):
    headers = bearer(client, ada)

    before = client.get("/api/v1/me/exam-agreement", headers=headers)
    assert before.status_code == 200
    assert before.json["program"] == "cisco"
    assert before.json["needs_acceptance"] is True and before.json["accepted"] is None
    assert before.json["current"]["version"] == 1
    assert set(before.json["current"]) == {"program", "version", "title", "body", "published_at"}

    accepted = client.post("/api/v1/me/exam-agreement", json={"version": 1}, headers=headers)
    assert accepted.status_code == 200
    assert accepted.json["needs_acceptance"] is False
    assert accepted.json["accepted"] == {"version": 1, "accepted_at": "2026-11-25T10:00:00Z"}
    assert client.get("/api/v1/me/exam-agreement", headers=headers).json == accepted.json


def test_a_new_version_needs_accepting_again_and_the_old_one_is_refused(client, ada, fake_exams):
    headers = bearer(client, ada)
    client.post("/api/v1/me/exam-agreement", json={"version": 1}, headers=headers)
    fake_exams.publish_exam_agreement("cisco", "Cisco Certification Exam Agreement", "Version two.",
                                    staff="sam@certtrack.example")

    status = client.get("/api/v1/me/exam-agreement", headers=headers).json
    assert status["needs_acceptance"] is True
    assert (status["current"]["version"], status["accepted"]["version"]) == (2, 1)

    stale = client.post("/api/v1/me/exam-agreement", json={"version": 1}, headers=headers)
    api_error(stale, 409, "agreement_version_not_current")
    assert client.post("/api/v1/me/exam-agreement", json={"version": 2}, headers=headers).json[
        "needs_acceptance"] is False


def test_accepting_is_the_token_candidates_own(client, ada, grace, fake_exams):
    client.post("/api/v1/me/exam-agreement", json={"version": 1}, headers=bearer(client, ada))

    as_grace = client.get("/api/v1/me/exam-agreement", headers=bearer(client, grace, OTHER_PASSWORD)).json

    assert as_grace["needs_acceptance"] is True and as_grace["accepted"] is None
    assert [a["candidate_id"] for a in fake_exams.acceptances] == [ada]


@pytest.mark.parametrize("body, field", [
    ({}, "version"),
    ({"version": "1"}, "version"),
    ({"version": 0}, "version"),
    ({"version": 1, "candidate_id": "CSCO10000009"}, "candidate_id"),
])
def test_an_invalid_acceptance_body_is_a_422_with_fields(client, ada, fake_exams, body, field):
    response = client.post("/api/v1/me/exam-agreement", json=body, headers=bearer(client, ada))

    error = api_error(response, 422, "validation_failed")
    assert field in error["fields"]
    assert fake_exams.called("accept_exam_agreement") == []


def test_a_token_older_than_a_password_change_cannot_read_the_agreement(client, ada, fake_identity):
    headers = bearer(client, ada)
    fake_identity._set_password(fake_identity.candidates[ada], "another long passphrase")

    api_error(client.get("/api/v1/me/exam-agreement", headers=headers), 401, "invalid_token")


# -- OpenAPI ----------------------------------------------------------------------------------------
def test_the_operations_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json

    exams = document["paths"]["/api/v1/me/exams"]["get"]
    assert exams["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ExamList"}
    sitting = document["components"]["schemas"]["ExamSitting"]
    assert {"exam_code", "exam_title", "taken_at", "score", "passing_score", "result", "registration_number",
            "revoked", "revoked_reason", "test_center"} <= set(sitting["required"]) | set(sitting["properties"])
    agreement = document["paths"]["/api/v1/me/exam-agreement"]
    assert set(agreement) == {"get", "post"}
    assert agreement["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AcceptExamAgreement"}
    assert "422" in agreement["post"]["responses"]
