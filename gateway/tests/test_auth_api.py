"""`/api/v1/auth/*` and `/api/v1/me`, with identity replaced by an honest fake."""
from __future__ import annotations

import logging
import time

import pytest
from itsdangerous import timed

from .fakes import identity as identity_fake

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "a different long passphrase"


@pytest.fixture
def ada(fake_identity):
    return fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD)


@pytest.fixture
def grace(fake_identity):
    return fake_identity.add_candidate("Grace", "Hopper", "grace@example.com", password=OTHER_PASSWORD)


def _token(client, login, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"login": login, "password": password})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert response.json["error"]["code"] == code
    return response.json["error"]


# -- tokens -----------------------------------------------------------------------------
@pytest.mark.parametrize("login", ["CSCO10000001", "csco10000001", "ada@example.com", "  ADA@example.com "])
def test_token_for_candidate_id_or_email_and_password(client, ada, login):
    response = client.post("/api/v1/auth/token", json={"login": login, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json["token_type"] == "bearer"
    assert response.json["expires_in"] == 3600
    assert len(response.json["access_token"]) > 20


def test_token_call_passes_the_client_address_to_identity(client, fake_identity, ada):
    client.post("/api/v1/auth/token", json={"login": ada, "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "203.0.113.9"})

    assert fake_identity.called("authenticate")[-1]["client_address"] == "203.0.113.9"


def test_unknown_login_and_wrong_password_answer_exactly_the_same(client, ada):
    unknown = client.post("/api/v1/auth/token", json={"login": "nobody@example.com", "password": PASSWORD})
    wrong = client.post("/api/v1/auth/token", json={"login": ada, "password": "not the password"})

    _error(unknown, 401, "invalid_credentials")
    assert unknown.status_code == wrong.status_code
    assert unknown.get_data() == wrong.get_data()
    assert PASSWORD not in unknown.get_data(as_text=True)


def test_too_many_failures_are_429_with_retry_after(client, ada):
    for _ in range(5):
        client.post("/api/v1/auth/token", json={"login": ada, "password": "wrong password!"})

    response = client.post("/api/v1/auth/token", json={"login": ada, "password": PASSWORD})

    _error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0


def test_token_request_without_fields_is_422(client, fake_identity):
    error = _error(client.post("/api/v1/auth/token", json={"login": "x"}), 422, "validation_failed")

    assert "password" in error["fields"]
    assert fake_identity.calls == []


# -- bearer tokens on /api/v1/me ---------------------------------------------------------
def test_me_answers_the_candidate_of_the_token(client, ada):
    response = client.get("/api/v1/me", headers=_bearer(_token(client, ada)))

    assert response.status_code == 200
    me = response.json
    assert (me["candidate_id"], me["first_name"], me["last_name"], me["email"], me["program"]) == (
        ada, "Ada", "Lovelace", "ada@example.com", "cisco")
    assert me["address"]["country"] == "GB"
    assert "password" not in me and "password_changed_at" not in me


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Basic YWRhOnB3"}, {"Authorization": "Bearer not-a-token"},
])
def test_me_without_a_valid_token_is_401(client, fake_identity, headers):
    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.json["error"]["code"] in ("not_authenticated", "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert fake_identity.called("get_profile") == []


def test_token_signed_with_another_key_is_refused(client, make_app, ada):
    other = make_app(SECRET_KEY="another-secret-key-" + "y" * 32)
    other.extensions["rpc"] = client.application.extensions["rpc"]
    foreign = _token(other.test_client(), ada)

    _error(client.get("/api/v1/me", headers=_bearer(foreign)), 401, "invalid_token")


def test_token_expires_after_an_hour(client, ada, monkeypatch):
    token = _token(client, ada)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200

    later = time.time() + 3601
    monkeypatch.setattr(timed.time, "time", lambda: later)

    _error(client.get("/api/v1/me", headers=_bearer(token)), 401, "invalid_token")


def test_password_change_ends_older_tokens(client, fake_identity, ada):
    token = _token(client, ada)
    client.post("/api/v1/auth/forgot-password", json={"email": "ada@example.com"})
    reset = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]
    assert client.post("/api/v1/auth/password", json={"token": reset, "password": OTHER_PASSWORD}).status_code == 204

    _error(client.get("/api/v1/me", headers=_bearer(token)), 401, "invalid_token")
    assert client.get("/api/v1/me", headers=_bearer(_token(client, ada, OTHER_PASSWORD))).status_code == 200


# -- changing the record -----------------------------------------------------------------
def test_patch_me_changes_only_what_is_sent(client, fake_identity, ada):
    response = client.patch("/api/v1/me", headers=_bearer(_token(client, ada)),
                            json={"company": "Analytical Engines", "address": {"city": "Oxford"}})

    assert response.status_code == 200
    assert response.json["company"] == "Analytical Engines"
    assert response.json["address"] == {**response.json["address"], "city": "Oxford", "line1": "1 Analytical Row"}
    sent = fake_identity.called("update_profile")[-1]
    assert sent["candidate_id"] == ada
    assert set(sent["changes"]) == {"company", "address"}


def test_patch_me_invalid_values_are_422_with_identitys_fields(client, ada):
    response = client.patch("/api/v1/me", headers=_bearer(_token(client, ada)),
                            json={"phone": "call me", "address": {"country": "XX"}})

    error = _error(response, 422, "invalid_profile")
    assert set(error["fields"]) == {"phone", "address.country"}
    assert "country" in error["fields"]["address.country"].lower()


def test_patch_me_email_waits_for_confirmation(client, fake_identity, ada):
    response = client.patch("/api/v1/me", headers=_bearer(_token(client, ada)), json={"email": "ada@new.example"})

    assert response.status_code == 200
    assert (response.json["email"], response.json["pending_email"]) == ("ada@example.com", "ada@new.example")
    assert fake_identity.mails_to("ada@new.example", "email_confirmation")


def test_patch_me_email_of_another_candidate_is_409(client, ada, grace):
    response = client.patch("/api/v1/me", headers=_bearer(_token(client, ada)), json={"email": "grace@example.com"})

    _error(response, 409, "email_taken")


@pytest.mark.parametrize("body", [{"first_name": "Augusta"}, {"candidate_id": "CSCO10000002"}, {"ccie_number": "1"}])
def test_patch_me_refuses_names_ids_and_read_only_numbers(client, fake_identity, ada, grace, body):
    response = client.patch("/api/v1/me", headers=_bearer(_token(client, ada)), json=body)

    error = _error(response, 422, "validation_failed")
    assert set(error["fields"]) == set(body)
    assert fake_identity.called("update_profile") == []


def test_second_candidate_sees_and_changes_only_their_own_record(client, fake_identity, ada, grace):
    ada_token, grace_token = _token(client, ada), _token(client, grace, OTHER_PASSWORD)

    assert client.get("/api/v1/me", headers=_bearer(grace_token)).json["candidate_id"] == grace
    client.patch("/api/v1/me", headers=_bearer(grace_token), json={"company": "Navy"})
    client.get(f"/api/v1/me?candidate_id={ada}", headers=_bearer(grace_token))

    assert fake_identity.candidates[ada]["company"] is None
    assert {call["candidate_id"] for call in fake_identity.called("get_profile")} == {grace}
    assert client.get("/api/v1/me", headers=_bearer(ada_token)).json["company"] is None


# -- first-time login and recovery without a browser ----------------------------------------
@pytest.mark.parametrize("path", ["first-time", "forgot-password", "forgot-candidate-id"])
def test_mail_requests_answer_the_same_for_known_and_unknown_addresses(client, fake_identity, ada, path):
    known = client.post(f"/api/v1/auth/{path}", json={"email": "ada@example.com"})
    unknown = client.post(f"/api/v1/auth/{path}", json={"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 202
    assert known.get_data() == unknown.get_data()
    assert fake_identity.mails_to("ada@example.com") and not fake_identity.mails_to("nobody@example.com")


# -- first-time login by score report ------------------------------------------------------------
@pytest.fixture
def alan(fake_identity):
    return fake_identity.add_candidate("Alan", "Turing", "alan@example.com", registration_number="460999999")


def _score_report(client, last_name="Turing", number="460999999", new_email="alan@new.example"):
    return client.post("/api/v1/auth/first-time/score-report",
                       json={"last_name": last_name, "registration_number": number, "new_email": new_email})


def test_score_report_moves_the_email_and_mails_the_link_there(client, fake_identity, alan):
    response = _score_report(client, last_name=" turing ")

    assert response.status_code == 202
    assert response.json["sent_to"] == "a**n@new.example"
    assert fake_identity.candidates[alan]["email"] == "alan@new.example"
    assert fake_identity.mails_to("alan@new.example", "first_time")
    assert fake_identity.called("start_first_time_by_score_report")[0]["client_address"] == "127.0.0.1"


def test_score_report_refusals_are_the_errors_of_the_table(client, fake_identity, alan, ada):
    _error(_score_report(client, number="000"), 404, "score_report_not_matched")
    conflict = _error(_score_report(client, new_email="ada@example.com"), 409, "email_belongs_to_another_candidate")
    assert "new_email" in conflict["fields"]
    invalid = _error(_score_report(client, new_email="not an email"), 422, "validation_failed")
    assert set(invalid["fields"]) == {"new_email"}
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"


def test_score_report_email_identity_refuses_is_a_422_with_fields(client, fake_identity, alan, monkeypatch):
    monkeypatch.setattr(identity_fake, "normalize_email", lambda value: None)

    error = _error(_score_report(client), 422, "invalid_profile")

    assert error["fields"] == {"new_email": "Enter a valid email address."}


def test_guessing_score_reports_is_429_with_retry_after(client, fake_identity, alan):
    for number in range(10):
        _error(_score_report(client, number=f"00{number}"), 404, "score_report_not_matched")

    response = _score_report(client)

    _error(response, 429, "too_many_attempts")
    assert response.headers["Retry-After"] == "3000"
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"


def test_malformed_email_is_422_whoever_asks(client, fake_identity):
    error = _error(client.post("/api/v1/auth/first-time", json={"email": "not an email"}), 422, "validation_failed")

    assert "email" in error["fields"]
    assert fake_identity.calls == []


def test_first_time_token_sets_the_password_once(client, fake_identity):
    fresh = fake_identity.add_candidate("Alan", "Turing", "alan@example.com")
    client.post("/api/v1/auth/first-time", json={"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]

    first = client.post("/api/v1/auth/password", json={"token": token, "password": PASSWORD})
    again = client.post("/api/v1/auth/password", json={"token": token, "password": PASSWORD})

    assert first.status_code == 204 and first.get_data() == b""
    error = _error(again, 410, "link_token_invalid")
    assert error["message"]
    assert client.get("/api/v1/me", headers=_bearer(_token(client, fresh))).status_code == 200


def test_reset_token_sets_the_password_through_the_same_operation(client, fake_identity, ada):
    client.post("/api/v1/auth/forgot-password", json={"email": "ada@example.com"})
    token = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]

    assert client.post("/api/v1/auth/password", json={"token": token, "password": OTHER_PASSWORD}).status_code == 204
    assert _token(client, ada, OTHER_PASSWORD)
    _error(client.post("/api/v1/auth/password", json={"token": token, "password": PASSWORD}), 410, "link_token_invalid")


def test_expired_first_time_token_is_refused(client, fake_identity):
    fake_identity.add_candidate("Alan", "Turing", "alan@example.com")
    client.post("/api/v1/auth/first-time", json={"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]
    fake_identity.advance(hours=6, seconds=1)

    _error(client.post("/api/v1/auth/password", json={"token": token, "password": PASSWORD}), 410, "link_token_invalid")


def test_unknown_token_is_refused(client, fake_identity):
    _error(client.post("/api/v1/auth/password", json={"token": "made-up", "password": PASSWORD}), 410, "link_token_invalid")


def test_weak_password_is_422_naming_the_rule(client, fake_identity):
    alan = fake_identity.add_candidate("Alan", "Turing", "alan@example.com")
    client.post("/api/v1/auth/first-time", json={"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]

    response = client.post("/api/v1/auth/password", json={"token": token, "password": f"my id is {alan}!"})

    error = _error(response, 422, "weak_password")
    assert "candidate ID" in error["fields"]["password"]
    # The token still works for a better password.
    assert client.post("/api/v1/auth/password", json={"token": token, "password": PASSWORD}).status_code == 204


# -- the API's description and its hygiene ---------------------------------------------------
def test_every_identity_operation_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert set(paths["/api/v1/me"]) == {"get", "patch"}
    for path in ("token", "first-time", "password", "forgot-password", "forgot-candidate-id"):
        assert "post" in paths[f"/api/v1/auth/{path}"]
    token = paths["/api/v1/auth/token"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/TokenRequest"}
    assert {"200", "401", "429"} <= set(token["responses"])


def test_openapi_document_stays_valid(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)


def test_no_password_or_token_reaches_the_logs(client, fake_identity, ada, caplog):
    caplog.set_level(logging.DEBUG)
    token = _token(client, ada)
    client.get("/api/v1/me", headers=_bearer(token))
    client.post("/api/v1/auth/token", json={"login": ada, "password": "wrong password!"})
    client.post("/api/v1/auth/forgot-password", json={"email": "ada@example.com"})
    reset = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]
    client.post("/api/v1/auth/password", json={"token": reset, "password": OTHER_PASSWORD})

    logged = caplog.text
    for secret in (PASSWORD, OTHER_PASSWORD, "wrong password!", token, reset):
        assert secret not in logged
