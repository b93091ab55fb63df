"""Connecting a single sign-on account (decision 0018): only in the browser that
brought it, once that browser also logged in to the record, and once the
candidate confirmed the account the page names; never through a mailed link."""
from __future__ import annotations

import pytest

from .fakes.identity import csrf_token, submit

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different long passphrase"


@pytest.fixture
def app(make_app):
    # A provider is configured (nothing here reaches it): the SSO pages exist.
    return make_app(OIDC_ISSUER="http://127.0.0.1:1", OIDC_CLIENT_SECRET="s")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def alan(fake_identity):
    """A candidate created by a vendor report: no password yet."""
    return fake_identity.add_candidate("Alan", "Turing", "alan@example.com", registration_number="460999999")


def _text(response) -> str:
    return response.get_data(as_text=True)


PENDING = {"issuer": "https://sso.example", "subject": "alan-1", "email": "alan@work.example"}


def test_a_pending_sso_identity_is_connected_only_in_its_own_browser_after_a_confirmation(
        client, fake_identity, alan):
    with client.session_transaction() as session:
        session["pending_external_identity"] = PENDING

    page = _text(client.get("/first-time"))
    assert "single sign-on" in page and "alan@work.example" in page
    submit(client, "/first-time", {"email": "alan@example.com"})
    # The request carries no identity: the mail is the same as anyone's.
    assert "external_identity" not in fake_identity.called("start_first_time_by_email")[-1]
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]
    done = submit(client, f"/first-time/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    # Logged in by the mailed link in the browser that brought the sign-on: asked to confirm.
    assert done.headers["Location"] == "/login/sso/connect"
    assert fake_identity.find_by_external_identity("https://sso.example", "alan-1") is None
    page = _text(client.get("/login/sso/connect"))
    assert "alan@work.example" in page and "https://sso.example" in page and alan in page
    confirmed = client.post("/login/sso/connect", data={"csrf_token": csrf_token(page), "decision": "connect"})
    assert confirmed.headers["Location"] == "/personal-info/identification"
    assert fake_identity.find_by_external_identity("https://sso.example", "alan-1")["candidate_id"] == alan
    assert "is connected" in _text(client.get("/personal-info/identification"))
    with client.session_transaction() as session:
        assert "pending_external_identity" not in session


def test_an_attackers_sso_account_is_not_planted_on_a_record_whose_owner_follows_the_mail(
        app, fake_identity, alan):
    """The planting attack: the attacker signs in with their own SSO account, asks
    for a first-time link for the victim's address, and the victim follows it."""
    attacker, victim = app.test_client(), app.test_client()
    with attacker.session_transaction() as session:
        session["pending_external_identity"] = {**PENDING, "subject": "mallory", "email": "m@evil.example"}
    submit(attacker, "/first-time", {"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]

    done = submit(victim, f"/first-time/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert done.headers["Location"] == "/"
    assert fake_identity.find_by_external_identity("https://sso.example", "mallory") is None
    assert attacker.get("/login/sso/connect").status_code == 302  # not logged in: to the login
    assert fake_identity.find_by_external_identity("https://sso.example", "mallory") is None


def test_declining_the_connection_connects_nothing(client, fake_identity, alan):
    fake_identity.candidates[alan]["password"] = PASSWORD
    with client.session_transaction() as session:
        session["pending_external_identity"] = PENDING
    assert "alan@work.example" in _text(client.get("/login"))
    response = submit(client, "/login", {"login": alan, "password": PASSWORD})
    assert response.headers["Location"] == "/login/sso/connect"
    page = _text(client.get("/login/sso/connect"))
    client.post("/login/sso/connect", data={"csrf_token": csrf_token(page), "decision": "cancel"})
    assert fake_identity.find_by_external_identity("https://sso.example", "alan-1") is None
    assert client.get("/login/sso/connect").headers["Location"] == "/personal-info/identification"


