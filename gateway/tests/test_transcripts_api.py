"""`/api/v1/me/transcripts…`, with identity and transcripts replaced by honest fakes
(gateway/tests/fakes/identity.py, gateway/tests/fakes/transcripts.py). `GET /api/v1/verify/<code>`
is the transcripts web app's (services/transcripts/tests, test_public_web.py); the
gateway only forwards it (test_transcripts_forwarding.py)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .accounts import OTHER_PASSWORD, api_error, bearer

VALID = "2027-03-01"


@pytest.fixture
def ada(ada, fake_transcripts):
    """Ada, as the transcripts projection knows her: two active certifications, one expired."""
    fake_transcripts.add_person(ada, "Ada Lovelace", "ada@example.com")
    fake_transcripts.hold(ada, "ccna", "CCNA")
    fake_transcripts.hold(ada, "devnet_associate", "DevNet Associate")
    fake_transcripts.hold(ada, "ccnp_enterprise", "CCNP Enterprise", status="expired")
    return ada


def _body(certifications="all_active", **display):
    return {"description": "ACME job", "valid_through": VALID,
            "display": {"certifications": certifications, **display}, "remarks": "via recruiter"}


def _create(client, headers, **kwargs):
    response = client.post("/api/v1/me/transcripts", json=_body(**kwargs), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# -- the candidate's transcripts ------------------------------------------------------------
def test_creating_answers_201_with_code_access_code_and_a_url_carrying_both(client, ada):
    created = _create(client, bearer(client, ada), certifications=["ccna"], show_email=True)

    url = urlsplit(created["url"])
    assert url.path == f"/verify/{created['code']}"
    assert parse_qs(url.query) == {"access_code": [created["access_code"]]}
    assert created["display"] == {"certifications": ["ccna"], "include_expired": False,
                                  "include_exams": False, "show_email": True}
    assert (created["views"], created["state"], created["remarks"]) == (0, "active", "via recruiter")


def test_the_list_has_views_and_last_viewed_but_never_the_access_code(client, ada, fake_transcripts):
    headers = bearer(client, ada)
    created = _create(client, headers)
    # As the web app counts a view (services/transcripts).
    fake_transcripts.transcripts[created["code"]].update(views=1, last_viewed_at="2026-11-25T10:00:00+00:00")

    listed = client.get("/api/v1/me/transcripts", headers=headers)

    assert listed.status_code == 200
    item = listed.json["items"][0]
    assert (item["code"], item["views"]) == (created["code"], 1)
    assert item["last_viewed_at"]
    assert created["access_code"] not in listed.get_data(as_text=True)


def test_editing_deactivating_and_a_new_access_code(client, ada, fake_transcripts):
    headers = bearer(client, ada)
    created = _create(client, headers)
    code = created["code"]

    def mail(access_code):
        return client.post(f"/api/v1/me/transcripts/{code}/mail/preview", headers=headers,
                           json={"access_code": access_code, "to": "hr@example.com"})

    edited = client.put(f"/api/v1/me/transcripts/{code}", json=_body(include_exams=True), headers=headers)
    renewed = client.post(f"/api/v1/me/transcripts/{code}/access-code", headers=headers)
    old, new = mail(created["access_code"]), mail(renewed.json["access_code"])
    deactivated = client.post(f"/api/v1/me/transcripts/{code}/deactivate", headers=headers)

    assert edited.status_code == 200 and edited.json["display"]["include_exams"] is True
    assert renewed.status_code == 200 and renewed.json["access_code"] != created["access_code"]
    assert "access_code" in api_error(old, 422, "invalid_transcript")["fields"]
    assert new.status_code == 200 and renewed.json["access_code"] in new.json["text"]
    assert deactivated.json["state"] == "deactivated"
    api_error(client.put(f"/api/v1/me/transcripts/{code}", json=_body(), headers=headers), 410, "transcript_inactive")
    api_error(mail(renewed.json["access_code"]), 410, "transcript_inactive")


def test_another_candidate_can_neither_list_nor_read_edit_deactivate_or_mail_it(client, ada, grace):
    created = _create(client, bearer(client, ada))
    code, as_grace = created["code"], bearer(client, grace, OTHER_PASSWORD)

    assert client.get("/api/v1/me/transcripts", headers=as_grace).json == {"items": []}
    for response in (
        client.get(f"/api/v1/me/transcripts/{code}", headers=as_grace),
        client.put(f"/api/v1/me/transcripts/{code}", json=_body(show_email=True), headers=as_grace),
        client.post(f"/api/v1/me/transcripts/{code}/deactivate", headers=as_grace),
        client.post(f"/api/v1/me/transcripts/{code}/access-code", headers=as_grace),
        client.post(f"/api/v1/me/transcripts/{code}/mail", headers=as_grace,
                    json={"access_code": created["access_code"], "to": "x@example.com"}),
    ):
        api_error(response, 404, "transcript_not_found")
    assert client.get(f"/api/v1/me/transcripts/{code}", headers=bearer(client, ada)).json["state"] == "active"


def test_invalid_transcripts_are_422_with_fields(client, ada):
    headers = bearer(client, ada)

    shape = client.post("/api/v1/me/transcripts", json={"description": "x", "display": {}}, headers=headers)
    not_held = client.post("/api/v1/me/transcripts", json=_body(certifications=["ccie_security"]), headers=headers)
    foreign = client.post("/api/v1/me/transcripts", json={**_body(), "candidate_id": "CSCO19999999"}, headers=headers)

    assert {"valid_through", "display.certifications"} <= set(api_error(shape, 422, "validation_failed")["fields"])
    assert "ccie_security" in api_error(not_held, 422, "invalid_transcript")["fields"]["display.certifications"]
    assert "candidate_id" in api_error(foreign, 422, "validation_failed")["fields"]


def test_mail_preview_sends_nothing_and_send_mails_the_link(client, ada, fake_transcripts):
    headers = bearer(client, ada)
    created = _create(client, headers)
    mail = {"access_code": created["access_code"], "to": "hr@example.com", "message": "Hello"}

    preview = client.post(f"/api/v1/me/transcripts/{created['code']}/mail/preview", json=mail, headers=headers)
    assert preview.status_code == 200 and created["url"] in preview.json["text"]
    assert fake_transcripts.mails == []
    sent = client.post(f"/api/v1/me/transcripts/{created['code']}/mail", json=mail, headers=headers)
    assert sent.status_code == 202 and [m["to"] for m in fake_transcripts.mails] == [["hr@example.com"]]
    wrong = client.post(f"/api/v1/me/transcripts/{created['code']}/mail", headers=headers,
                        json={**mail, "access_code": "nope"})
    assert "access_code" in api_error(wrong, 422, "invalid_transcript")["fields"]


@pytest.mark.parametrize("path", ["/api/v1/me/transcripts", "/api/v1/me/transcripts/abc"])
def test_candidate_endpoints_need_a_bearer_token(client, fake_transcripts, path):
    api_error(client.get(path), 401, "not_authenticated")


def test_the_openapi_document_describes_the_transcript_operations(client, fake_transcripts):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/me/transcripts"])
    assert "get" in paths["/api/v1/verify/{code}"]
    assert {"/api/v1/me/transcripts/{code}/deactivate", "/api/v1/me/transcripts/{code}/access-code",
            "/api/v1/me/transcripts/{code}/mail", "/api/v1/me/transcripts/{code}/mail/preview"} <= set(paths)
