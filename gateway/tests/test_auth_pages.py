"""The candidate site's login pages, with identity replaced by an honest fake."""
from __future__ import annotations

import re

import pytest

from .fakes import identity as identity_fake
from .fakes.identity import csrf_token, log_in, submit

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def ada(fake_identity):
    return fake_identity.add_candidate("Ada", "Lovelace", "ada@example.com", password=PASSWORD,
                                       registration_number="460123456")


@pytest.fixture
def alan(fake_identity):
    """A candidate created by a vendor report: no password yet."""
    return fake_identity.add_candidate("Alan", "Turing", "alan@example.com", registration_number="460999999")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _main(response) -> str:
    """The page's main content, without the per-session CSRF tokens."""
    page = _text(response)
    main = page[page.index("<main"):page.index("</main>")]
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', main)


def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# -- the login page -------------------------------------------------------------------------
def test_login_page_offers_every_way_in(client):
    page = _text(client.get("/login"))

    assert "<h1>Log in</h1>" in page
    assert 'for="login"' in page and 'for="password"' in page
    assert 'autocomplete="current-password"' in page
    for link in ("/first-time", "/forgot-password", "/forgot-candidate-id"):
        assert f'href="{link}"' in page
    assert 'class="auth__aside"' in page  # where the SSO button goes


def test_sso_button_appears_when_a_provider_is_configured(make_app):
    app = make_app(OIDC_ISSUER="http://127.0.0.1:1/oidc", OIDC_CLIENT_SECRET="test-client-secret")
    page = _text(app.test_client().get("/login"))

    assert "Click here to login" in page


def test_logging_in_starts_a_fresh_session_and_lands_on_home(client, fake_identity, ada):
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = _session_cookie(client)

    response = submit(client, "/login", {"login": "ada@example.com", "password": PASSWORD})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert _session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session and session["candidate_id"] == ada
    home = _text(client.get("/"))
    assert "Welcome, Ada Lovelace" in home and ada in home


def test_session_cookie_is_httponly_and_lax(client, ada):
    response = submit(client, "/login", {"login": ada, "password": PASSWORD})
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))

    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_outside_development(make_app):
    assert make_app(CERTTRACK_ENV="production", SITE_URL="https://certtrack.example").config["SESSION_COOKIE_SECURE"]
    assert make_app(CERTTRACK_ENV="test", SITE_URL="https://certtrack.example").config["SESSION_COOKIE_SECURE"]
    assert not make_app(CERTTRACK_ENV="test", SITE_URL="http://127.0.0.1:8000").config["SESSION_COOKIE_SECURE"]


def test_wrong_password_and_unknown_login_show_the_same_page(client, ada):
    unknown = submit(client, "/login", {"login": "nobody@example.com", "password": PASSWORD})
    wrong = submit(client, "/login", {"login": "ada@example.com", "password": "not the password"})

    assert unknown.status_code == wrong.status_code == 401
    assert "The login or the password is not correct." in _text(wrong)
    assert _main(unknown).replace("nobody@example.com", "LOGIN") == _main(wrong).replace("ada@example.com", "LOGIN")
    assert PASSWORD not in _text(unknown)


def test_too_many_failures_say_when_to_try_again(client, ada):
    for _ in range(5):
        submit(client, "/login", {"login": ada, "password": "wrong password!"})

    response = submit(client, "/login", {"login": ada, "password": PASSWORD})

    assert response.status_code == 429
    assert "Try again in 9 minutes" in _text(response)


def test_empty_login_form_names_each_missing_field(client, fake_identity):
    response = submit(client, "/login", {"login": "", "password": ""})

    page = _text(response)
    assert response.status_code == 422
    assert "There is a problem" in page
    assert 'href="#login"' in page and 'href="#password"' in page
    assert fake_identity.calls == []


def test_login_returns_to_the_page_asked_for(client, ada):
    asked = client.get("/personal-info/attributes")
    assert asked.headers["Location"] == "/login?next=/personal-info/attributes"

    response = submit(client, "/login?next=/personal-info/attributes", {"login": ada, "password": PASSWORD})

    assert response.headers["Location"] == "/personal-info/attributes"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_to_another_site(client, ada, target):
    response = submit(client, f"/login?next={target}", {"login": ada, "password": PASSWORD}, form_page="/login")

    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, ada):
    log_in(client, ada, PASSWORD)
    home = _text(client.get("/"))
    assert "Log out" in home

    response = client.post("/logout", data={"csrf_token": csrf_token(home)})

    assert response.headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert "candidate_id" not in session
    assert client.get("/personal-info").status_code == 302
    assert "You have logged out." in _text(client.get("/login"))


def test_navigation_follows_the_login(client, ada):
    def nav():
        page = _text(client.get("/"))
        return page[page.index('<nav aria-label="Main"'):page.index("</nav>")]

    assert "Log in" in nav() and "Personal Info" not in nav() and "Log out" not in nav()
    log_in(client, ada, PASSWORD)
    assert "Personal Info" in nav() and "Log out" in nav() and "Log in" not in nav()


# -- every form refuses a post without its CSRF token ----------------------------------------
@pytest.mark.parametrize("path, data", [
    ("/login", {"login": "CSCO10000001", "password": PASSWORD}),
    ("/logout", {}),
    ("/first-time", {"email": "ada@example.com"}),
    ("/first-time/score-report", {"last_name": "Lovelace", "registration_number": "460123456", "new_email": "a@b.example"}),
    ("/forgot-password", {"login": "ada@example.com"}),
    ("/forgot-candidate-id", {"email": "ada@example.com"}),
    ("/first-time/some-token", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ("/reset-password/some-token", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ("/confirm-email/some-token", {}),
    ("/personal-info", {"email": "ada@example.com"}),
    ("/personal-info/attributes", {"job_title": "Analyst"}),
    ("/personal-info/name-change", {"first_name": "Augusta"}),
    ("/personal-info/identification/1/unlink", {}),
])
def test_forms_without_their_csrf_token_are_refused(client, fake_identity, ada, path, data):
    log_in(client, ada, PASSWORD) if path.startswith("/personal-info") or path == "/logout" else None
    calls = len(fake_identity.calls)

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert "This form has expired" in _text(response)
    # Nothing asked of identity but whether the session's credentials are current.
    assert [name for name, _ in fake_identity.calls[calls:] if name != "credential_version"] == []
    with client.session_transaction() as session:
        assert ("candidate_id" in session) == (path.startswith("/personal-info") or path == "/logout")


# -- first-time login by email ------------------------------------------------------------------
@pytest.mark.parametrize("path, field", [
    ("/first-time", "email"), ("/forgot-password", "login"), ("/forgot-candidate-id", "email"),
])
def test_mail_pages_answer_the_same_for_known_and_unknown_addresses(client, fake_identity, ada, path, field):
    known = submit(client, path, {field: "ada@example.com"})
    unknown = submit(client, path, {field: "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.headers.getlist("Set-Cookie") == unknown.headers.getlist("Set-Cookie")
    assert _text(client.get(known.headers["Location"])) == _text(client.get(unknown.headers["Location"]))
    assert fake_identity.mails_to("ada@example.com") and not fake_identity.mails_to("nobody@example.com")


def test_first_time_by_email_sets_the_password_and_lands_on_home(client, fake_identity, alan):
    sent = submit(client, "/first-time", {"email": "alan@example.com"})
    assert "Check your email" in _text(client.get(sent.headers["Location"]))
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]

    form = client.get(f"/first-time/{token}")
    assert form.status_code == 200
    assert "Set your password" in _text(form) and alan in _text(form)
    response = submit(client, f"/first-time/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.headers["Location"] == "/"
    home = _text(client.get("/"))
    assert "Welcome, Alan Turing" in home
    assert "the mapping to your candidate record" in home and "is complete" in home
    assert fake_identity.candidates[alan]["password"] == NEW_PASSWORD


def test_set_password_form_checks_the_rules_before_identity(client, fake_identity, alan):
    submit(client, "/first-time", {"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]

    short = submit(client, f"/first-time/{token}", {"password": "short", "confirm": "short"})
    differ = submit(client, f"/first-time/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    with_id = submit(client, f"/first-time/{token}", {"password": f"{alan} rocks!", "confirm": f"{alan} rocks!"})

    assert short.status_code == differ.status_code == with_id.status_code == 422
    assert "between 12 and 128 characters" in _text(short)
    assert "The two passwords differ." in _text(differ)
    assert "must not contain your candidate ID" in _text(with_id)
    assert fake_identity.candidates[alan]["password"] is None


@pytest.mark.parametrize("state, words", [("used", "has already been used"), ("expired", "has expired"),
                                           ("unknown", "is not valid")])
def test_a_link_that_cannot_be_used_says_why_and_offers_a_new_one(client, fake_identity, alan, state, words):
    submit(client, "/first-time", {"email": "alan@example.com"})
    token = fake_identity.mails_to("alan@example.com", "first_time")[-1]["token"]
    if state == "used":
        submit(client, f"/first-time/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        client.post("/logout", data={"csrf_token": csrf_token(_text(client.get("/")))})
    elif state == "expired":
        fake_identity.advance(hours=7)
    else:
        token = "no-such-token"

    response = client.get(f"/first-time/{token}")

    page = _text(response)
    assert response.status_code == 410
    assert f"This link {words}" in page
    assert 'action="/first-time"' in page and "Send me a new link" in page
    resent = client.post("/first-time", data={"email": "alan@example.com", "csrf_token": csrf_token(page)})
    assert resent.status_code == 302


# -- first-time login by score report -------------------------------------------------------------
def test_score_report_moves_the_email_and_sends_the_link_there(client, fake_identity, alan):
    response = submit(client, "/first-time/score-report",
                      {"last_name": "turing", "registration_number": "460999999", "new_email": "alan@new.example"})

    assert response.status_code == 200
    assert "a**n@new.example" in _text(response)
    assert fake_identity.candidates[alan]["email"] == "alan@new.example"
    assert fake_identity.mails_to("alan@new.example", "first_time")


def test_score_report_that_matches_nothing_says_so(client, fake_identity, alan):
    response = submit(client, "/first-time/score-report",
                      {"last_name": "Turing", "registration_number": "000", "new_email": "alan@new.example"})

    assert response.status_code == 422
    assert "No exam matches that last name and registration number" in _text(response)
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"


def test_score_report_with_another_candidates_email_needs_a_support_ticket(client, fake_identity, ada, alan):
    response = submit(client, "/first-time/score-report",
                      {"last_name": "Turing", "registration_number": "460999999", "new_email": "ada@example.com"})

    page = _text(response)
    assert response.status_code == 409
    assert "belongs to another candidate record" in page and "Nothing was changed" in page
    assert 'href="/support#email-in-use"' in page
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"
    assert not fake_identity.mails_to("ada@example.com")
    support = _text(client.get("/support"))
    assert 'id="email-in-use"' in support and "mailto:" in support


def test_guessing_score_reports_is_stopped_with_a_429_that_says_when_to_retry(client, fake_identity, alan):
    for number in range(10):
        refused = submit(client, "/first-time/score-report",
                         {"last_name": "Turing", "registration_number": f"00{number}", "new_email": "x@new.example"})
        assert refused.status_code == 422

    # Even the right details wait: the address is blocked, not just the guesses.
    response = submit(client, "/first-time/score-report",
                      {"last_name": "Turing", "registration_number": "460999999", "new_email": "alan@new.example"})

    page = _text(response)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3000"
    assert "Too many tries that matched no score report. Try again in 50 minutes." in page
    assert 'class="error-summary"' in page and 'value="Turing"' in page  # the form stays filled in
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"
    assert {call["client_address"] for call in fake_identity.called("start_first_time_by_score_report")} == {"127.0.0.1"}


def test_too_many_failed_logins_send_retry_after(client, ada):
    for _ in range(5):
        submit(client, "/login", {"login": ada, "password": "wrong password"})

    response = submit(client, "/login", {"login": ada, "password": PASSWORD})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "540"


# -- forgotten password -----------------------------------------------------------------------------
def test_reset_link_sets_a_new_password_and_logs_in(client, fake_identity, ada):
    submit(client, "/forgot-password", {"login": ada})
    token = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]

    assert "Choose a new password" in _text(client.get(f"/reset-password/{token}"))
    response = submit(client, f"/reset-password/{token}", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.headers["Location"] == "/"
    assert "Your password has been changed" in _text(client.get("/"))
    assert fake_identity.candidates[ada]["password"] == NEW_PASSWORD
    assert client.get(f"/reset-password/{token}").status_code == 410


def test_reset_link_is_not_a_first_time_link(client, fake_identity, ada):
    submit(client, "/forgot-password", {"login": ada})
    token = fake_identity.mails_to("ada@example.com", "password_reset")[-1]["token"]

    assert client.get(f"/first-time/{token}").status_code == 410


# -- confirming a new email address ---------------------------------------------------------------
def test_email_confirmation_link_asks_before_it_changes_anything(client, fake_identity, ada):
    log_in(client, ada, PASSWORD)
    fake_identity.update_profile(ada, {"email": "ada@new.example"}, recently_logged_in=True)
    token = fake_identity.mails_to("ada@new.example", "email_confirmation")[-1]["token"]

    page = client.get(f"/confirm-email/{token}")
    assert page.status_code == 200 and "Confirm my new email address" in _text(page)
    assert fake_identity.candidates[ada]["email"] == "ada@example.com"

    response = client.post(f"/confirm-email/{token}", data={"csrf_token": csrf_token(_text(page))})

    assert response.headers["Location"] == "/personal-info"
    assert fake_identity.candidates[ada]["email"] == "ada@new.example"
    assert "it is now ada@new.example" in _text(client.get("/personal-info"))
    assert client.get(f"/confirm-email/{token}").status_code == 410


# -- hygiene ---------------------------------------------------------------------------------------
def test_pages_of_a_logged_in_candidate_and_link_pages_are_not_cached(client, fake_identity, ada):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    assert client.get("/first-time/some-token").headers["Cache-Control"] == "no-store"

    log_in(client, ada, PASSWORD)

    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/personal-info").headers["Cache-Control"] == "no-store"


def test_link_tokens_are_masked_in_the_access_log():
    from gateway.access_log import redact_path

    assert redact_path("/confirm-email/Zm9vYmFy") == "/confirm-email/…"
    assert redact_path("/first-time/Zm9vYmFy") == "/first-time/…"


def test_score_report_shows_identitys_field_messages(client, fake_identity, alan, monkeypatch):
    # An address the form accepts but identity does not (identity has the last word).
    monkeypatch.setattr(identity_fake, "normalize_email", lambda value: None)

    response = submit(client, "/first-time/score-report",
                      {"last_name": "Turing", "registration_number": "460999999", "new_email": "alan@new.example"})

    assert response.status_code == 422
    assert "Enter a valid email address." in _text(response)
    assert fake_identity.candidates[alan]["email"] == "alan@example.com"


def test_confirming_an_address_another_record_took_meanwhile_says_so_and_changes_nothing(client, fake_identity, ada):
    log_in(client, ada, PASSWORD)
    fake_identity.update_profile(ada, {"email": "shared@example.com"}, recently_logged_in=True)
    token = fake_identity.mails_to("shared@example.com", "email_confirmation")[-1]["token"]
    fake_identity.add_candidate("Grace", "Hopper", "shared@example.com")

    response = submit(client, f"/confirm-email/{token}")

    page = _text(response)
    assert response.status_code == 409
    assert "now belongs to another candidate record" in page and "Nothing was changed" in page
    assert 'href="/support#email-in-use"' in page
    assert "Confirm my new email address</button>" not in page
    assert fake_identity.candidates[ada]["email"] == "ada@example.com"
