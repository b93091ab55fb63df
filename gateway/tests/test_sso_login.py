"""Single sign-on: the whole redirect dance against a real OpenID Connect provider
process (tests/harness/oidc.py), with identity replaced by a fake."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import render_template

from tests.harness.oidc import oidc_provider, query_of  # noqa: F401 - the fixture

SITE = "http://127.0.0.1:8000"
ADA = {
    "candidate_id": "CSCO10000001", "program": "cisco", "first_name": "Ada", "last_name": "Lovelace",
    "email": "ada@example.com", "has_password": True, "password_changed_at": "2026-11-20T14:30:00+00:00",
}


class FakeIdentity:
    """identity's `find_by_external_identity` over a dict, recording every call."""

    def __init__(self):
        self.mapped: dict[tuple[str, str], dict] = {}
        self.calls: list[tuple[str, dict]] = []

    def call(self, service, method, *args, **kwargs):
        assert service == "identity" and not args
        self.calls.append((method, kwargs))
        if method == "find_by_external_identity":
            return self.mapped.get((kwargs["issuer"], kwargs["subject"]))
        raise AssertionError(f"unexpected identity.{method}")

    def close(self):
        pass


@pytest.fixture
def identity():
    return FakeIdentity()


@pytest.fixture
def app(make_app, oidc_provider, identity):  # noqa: F811
    app = make_app(
        OIDC_ISSUER=oidc_provider.issuer, OIDC_CLIENT_ID="certtrack-test",
        OIDC_CLIENT_SECRET="test-client-secret", SITE_URL=SITE,
    )
    app.extensions["rpc"].close()
    app.extensions["rpc"] = identity
    return app


def _start(client) -> str:
    response = client.get("/login/sso")
    assert response.status_code == 302
    return response.headers["Location"]


def _back_at(client, url: str):
    """The browser following the provider's redirect back to the gateway."""
    assert url.startswith(SITE + "/login/sso/callback")
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def _session(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def test_authorization_request_uses_pkce_s256_state_and_nonce(client, oidc_provider):  # noqa: F811
    location = _start(client)

    assert location.startswith(oidc_provider.issuer + "/oauth2/authorize?")
    query = query_of(location)
    assert query["response_type"] == "code"
    assert query["client_id"] == "certtrack-test"
    assert query["redirect_uri"] == SITE + "/login/sso/callback"
    assert set(query["scope"].split()) >= {"openid", "email"}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20


def test_mapped_identity_logs_straight_in(client, oidc_provider, identity):  # noqa: F811
    identity.mapped[(oidc_provider.issuer, "ada-at-acme")] = ADA

    response = _back_at(client, oidc_provider.authorize(_start(client), "ada-at-acme"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    session = _session(client)
    assert session["candidate_id"] == "CSCO10000001"
    assert "pending_external_identity" not in session
    assert identity.calls == [
        ("find_by_external_identity", {"issuer": oidc_provider.issuer, "subject": "ada-at-acme"})
    ]


def test_unmapped_identity_goes_to_the_login_with_the_pending_identity(client, oidc_provider):  # noqa: F811
    oidc_provider.set_user("grace-at-acme", {"email": "grace@acme.example"})

    response = _back_at(client, oidc_provider.authorize(_start(client), "grace-at-acme"))

    # To log in to the record (password, or a first-time login's link) in this
    # browser, then confirm the connection (decision 0018).
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    session = _session(client)
    assert "candidate_id" not in session
    assert session["pending_external_identity"] == {
        "issuer": oidc_provider.issuer, "subject": "grace-at-acme", "email": "grace@acme.example",
    }


def test_tampered_state_is_refused_with_a_page(client, oidc_provider, identity):  # noqa: F811
    back = oidc_provider.authorize(_start(client), "mallory")
    state = query_of(back)["state"]

    response = _back_at(client, back.replace(f"state={state}", "state=forged" + state[6:]))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Single sign-on did not work" in page and "Traceback" not in page
    assert 'href="/login/sso"' in page  # start again
    assert "candidate_id" not in _session(client)
    assert identity.calls == []


def test_a_callback_this_browser_did_not_start_is_refused(client, oidc_provider, identity):  # noqa: F811
    # Another browser's code and state (login CSRF): this session never started a sign-in.
    other = client.application.test_client()
    back = oidc_provider.authorize(_start(other), "mallory")

    response = _back_at(client, back)

    assert response.status_code == 400
    assert "candidate_id" not in _session(client)
    assert identity.calls == []


def test_a_callback_is_used_once(client, oidc_provider, identity):  # noqa: F811
    identity.mapped[(oidc_provider.issuer, "ada-at-acme")] = ADA
    back = oidc_provider.authorize(_start(client), "ada-at-acme")
    assert _back_at(client, back).status_code == 302

    assert _back_at(client, back).status_code == 400


def test_a_changed_nonce_fails_the_id_token_check(client, oidc_provider, identity):  # noqa: F811
    location = _start(client)
    with client.session_transaction() as session:
        (key,) = [k for k in session if k.startswith("_state_sso_")]
        session[key]["data"]["nonce"] = "not-the-nonce-that-was-sent"
        session.modified = True

    response = _back_at(client, oidc_provider.authorize(location, "ada-at-acme"))

    assert response.status_code == 400
    assert "Single sign-on did not work" in response.get_data(as_text=True)
    assert identity.calls == []


def test_person_who_denies_at_the_provider_is_told_nothing_changed(client, oidc_provider):  # noqa: F811
    response = _back_at(client, oidc_provider.authorize(_start(client), "", deny=True))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Single sign-on was cancelled" in page and "Nothing was changed" in page


def test_unreachable_provider_is_a_friendly_page(make_app):
    app = make_app(OIDC_ISSUER="http://127.0.0.1:1", OIDC_CLIENT_SECRET="s", SITE_URL=SITE)

    response = app.test_client().get("/login/sso")

    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Single sign-on is unavailable" in page and "Traceback" not in page


def test_sso_button_is_shown_only_when_a_provider_is_configured(app, make_app):
    with app.test_request_context("/login"):
        shown = render_template("auth/_sso_button.html")
    assert "Click here to login" in shown and 'href="/login/sso"' in shown

    unconfigured = make_app()
    with unconfigured.test_request_context("/login"):
        assert "Click here to login" not in render_template("auth/_sso_button.html")
    assert unconfigured.test_client().get("/login/sso").status_code == 404
