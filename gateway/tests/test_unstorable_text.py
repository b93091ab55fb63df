"""Text no service can store (NUL, lone surrogates) is refused in any API body with 422,
before a service is asked: the API fuzzing sweep found a NUL in a registration number
answered 500 (tests/security/test_schemathesis.py)."""
from __future__ import annotations

import pytest
from .fakes.identity import csrf_token

SCORE_REPORT = "/api/v1/auth/first-time/score-report"


@pytest.mark.parametrize("raw, field", [
    ('{"last_name": "Lovelace", "registration_number": "46\\u00001", "new_email": "a@example.com"}',
     "registration_number"),
    ('{"last_name": "Love\\ud800lace", "registration_number": "461", "new_email": "a@example.com"}', "last_name"),
    ('{"last_name": "Lovelace", "registration_number": "461", "new_email": "a@example.com", "\\udc00": 1}', "body"),
])
def test_nul_and_lone_surrogates_are_a_422_naming_the_field(client, fake_identity, raw, field):
    calls = len(fake_identity.calls)

    answer = client.post(SCORE_REPORT, data=raw.encode(), content_type="application/json")

    assert answer.status_code == 422
    error = answer.json["error"]
    assert error["code"] == "validation_failed"
    assert "NUL" in error["fields"][field]
    assert len(fake_identity.calls) == calls


def test_nested_strings_and_keys_are_checked_with_their_path():
    from gateway.openapi import _unstorable_text

    payload = {"display": {"certifications": ["ccna", "cc\x00na"]}, "ok": "fine", "k\ud800": 1}

    assert [path for path, _ in _unstorable_text(payload, "body")] == ["display.certifications.1", "body"]


def test_ordinary_unicode_passes(client, fake_identity):
    answer = client.post(SCORE_REPORT, json={"last_name": "Łukasz-Ölçer 山田", "registration_number": "461",
                                             "new_email": "a@example.com"})
    assert answer.status_code != 422


@pytest.mark.parametrize("path, data", [
    ("/first-time/score-report", {"last_name": "Turing", "registration_number": "460\x00999",
                                  "new_email": "alan@new.example"}),
    ("/first-time", {"email": "alan\x00@example.com"}),
    ("/forgot-password", {"login": "CSCO\x001"}),
])
def test_a_site_form_with_text_no_service_can_store_is_a_400_before_any_service(
        client, fake_identity, path, data):
    page = client.get(path).get_data(as_text=True)
    calls = len(fake_identity.calls)

    response = client.post(path, data={**data, "csrf_token": csrf_token(page)})

    assert response.status_code == 400
    assert fake_identity.calls[calls:] == []


def test_a_link_token_with_a_nul_is_a_400_before_any_service(client, fake_identity):
    assert client.get("/first-time/abc%00def").status_code == 400
    assert fake_identity.calls == []
