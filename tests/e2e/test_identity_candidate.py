"""A candidate's identity pages and API as a person and an API client use them:
the stack `make run` starts, headless Chromium, the dev mailbox and the broker."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
import requests

from certtrack_shared.contracts.exams import CandidateReportedV1
from tests.e2e.identity_steps import identity_rpc, mailed_link
from tests.harness.messages import publish_raw, wait_for

PASSWORD = "violet harbour seventy kites"
RESET_LINK = re.compile(r"https?://[^\s\"'<>]+/reset-password/[A-Za-z0-9_-]{20,}")
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/confirm-email/[A-Za-z0-9_-]{20,}")


def _unique(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.com"


def report(amqp_uri, email: str, first_name="Ada", last_name="Lovelace", registration_number=None) -> str:
    """Publish what exams publishes when a vendor names someone; wait for identity to create them."""
    event = CandidateReportedV1(
        schema_version=1, event_id=f"e2e-{uuid.uuid4()}", occurred_at=datetime.now(timezone.utc),
        vendor="pearson_vue", program="cisco", registration_number=registration_number or str(uuid.uuid4().int)[:9],
        candidate={"candidate_id": None, "first_name": first_name, "last_name": last_name, "email": email},
    )
    publish_raw(amqp_uri, "exams.events", CandidateReportedV1.event_type, event.model_dump(mode="json"),
                message_id=event.event_id)
    with identity_rpc(amqp_uri) as identity:
        found = wait_for(lambda: identity.staff_search_candidates(query=email), timeout=30,
                         message=f"identity to create the candidate {email}")
    return found[0]["candidate_id"]


def with_password(stack, amqp_uri, email: str, **names) -> str:
    """A reported candidate who completed the first-time login over the API."""
    candidate_id = report(amqp_uri, email, **names)
    assert requests.post(f"{stack.url}/api/v1/auth/first-time", json={"email": email}, timeout=10).status_code == 202
    token = mailed_link(stack, email).rsplit("/", 1)[1]
    answer = requests.post(f"{stack.url}/api/v1/auth/password", json={"token": token, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 204, answer.text
    return candidate_id


def set_password_in_browser(page):
    page.get_by_label(re.compile(r"^New password")).fill(PASSWORD)
    page.get_by_label("Type the new password again").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"password and log in")).click()


def log_in(page, stack, login: str, password: str = PASSWORD):
    page.goto(f"{stack.url}/login")
    page.get_by_label("Candidate ID or email address").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


# -- first-time login ------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_first_time_login_by_email_sets_the_password_and_lands_on_home(stack, amqp_uri, page):
    email = _unique("ada")
    candidate_id = report(amqp_uri, email)

    page.goto(f"{stack.url}/login")
    page.get_by_role("link", name="First time here? Set your password").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me the link").click()
    page.wait_for_url(f"{stack.url}/first-time/email-sent")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.goto(mailed_link(stack, email))
    expect(page.get_by_text(f"Your candidate ID is {candidate_id}")).to_be_visible()
    set_password_in_browser(page)

    page.wait_for_url(f"{stack.url}/")
    expect(page.get_by_role("heading", name="Welcome, Ada Lovelace")).to_be_visible()
    expect(page.get_by_text(f"the mapping to your candidate record {candidate_id} is complete")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Personal Info")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()


@pytest.mark.browser
@pytest.mark.slow
def test_a_used_first_time_link_says_so_and_offers_a_new_one(stack, amqp_uri, page):
    email = _unique("hedy")
    report(amqp_uri, email, first_name="Hedy", last_name="Lamarr")
    requests.post(f"{stack.url}/api/v1/auth/first-time", json={"email": email}, timeout=10)
    link = mailed_link(stack, email)
    page.goto(link)
    set_password_in_browser(page)
    page.wait_for_url(f"{stack.url}/")
    page.get_by_role("button", name="Log out").click()

    page.goto(link)

    expect(page.get_by_role("heading", name="This link has already been used")).to_be_visible()
    expect(page.get_by_role("button", name="Send me a new link")).to_be_visible()


@pytest.mark.browser
@pytest.mark.slow
def test_first_time_login_by_score_report_moves_the_email(stack, amqp_uri, page):
    old_email, new_email = _unique("alan.old"), _unique("alan.new")
    number = str(uuid.uuid4().int)[:9]
    candidate_id = report(amqp_uri, old_email, first_name="Alan", last_name="Turing", registration_number=number)

    page.goto(f"{stack.url}/first-time")
    page.get_by_role("link", name="Use my score report").click()
    page.get_by_label("Last name").fill("Turing")
    page.get_by_label("Registration number").fill(number)
    page.get_by_label("New email address").fill(new_email)
    page.get_by_role("button", name="Update my email and send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("@example.com").first).to_be_visible()

    page.goto(mailed_link(stack, new_email))
    set_password_in_browser(page)

    page.wait_for_url(f"{stack.url}/")
    expect(page.get_by_role("heading", name="Welcome, Alan Turing")).to_be_visible()
    expect(page.get_by_text(new_email).first).to_be_visible()
    with identity_rpc(amqp_uri) as identity:
        assert identity.get_profile(candidate_id=candidate_id)["email"] == new_email


@pytest.mark.browser
@pytest.mark.slow
def test_score_report_with_another_candidates_email_needs_a_support_ticket(stack, amqp_uri, page):
    taken, own = _unique("taken"), _unique("katherine")
    report(amqp_uri, taken, first_name="Someone", last_name="Else")
    number = str(uuid.uuid4().int)[:9]
    candidate_id = report(amqp_uri, own, first_name="Katherine", last_name="Johnson", registration_number=number)

    page.goto(f"{stack.url}/first-time/score-report")
    page.get_by_label("Last name").fill("Johnson")
    page.get_by_label("Registration number").fill(number)
    page.get_by_label("New email address").fill(taken)
    page.get_by_role("button", name="Update my email and send the link").click()

    expect(page.get_by_role("heading", name="This email address belongs to another candidate record")).to_be_visible()
    expect(page.get_by_text("Nothing was changed")).to_be_visible()
    page.get_by_role("link", name="How to open a support ticket").click()
    expect(page.get_by_role("heading", name="Your email address belongs to another candidate record")).to_be_visible()
    with identity_rpc(amqp_uri) as identity:
        assert identity.get_profile(candidate_id=candidate_id)["email"] == own


# -- password login, personal information, logout ----------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_password_login_profile_update_and_logout(stack, amqp_uri, page):
    email = _unique("grace")
    candidate_id = with_password(stack, amqp_uri, email, first_name="Grace", last_name="Hopper")

    log_in(page, stack, "nobody@example.com")
    expect(page.get_by_text("The login or the password is not correct.")).to_be_visible()
    log_in(page, stack, candidate_id)
    page.wait_for_url(f"{stack.url}/")
    expect(page.get_by_role("heading", name="Welcome, Grace Hopper")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Personal Info").click()
    expect(page.get_by_role("heading", name="Personal Info")).to_be_visible()
    page.get_by_label("Phone number").fill("not a phone")
    page.get_by_label("Address line 1").fill("1 Navy Yard")
    page.get_by_label("Town or city").fill("Arlington")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Preferred language").select_option("en")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#phone-error").get_by_text("country code")).to_be_visible()

    page.get_by_label("Phone number").fill("+1 703 555 0100")
    page.get_by_label("Company").fill("US Navy")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("Your personal information is saved.")).to_be_visible()
    page.reload()
    assert page.get_by_label("Company").input_value() == "US Navy"
    assert page.get_by_label("Country").input_value() == "US"

    new_email = _unique("grace.new")
    page.get_by_label("Email address").fill(new_email)
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text(f"Confirm your new email address via the link we sent to {new_email}")).to_be_visible()
    page.goto(mailed_link(stack, new_email, pattern=CONFIRM_LINK))
    page.get_by_role("button", name="Confirm my new email address").click()
    expect(page.get_by_text(f"it is now {new_email}")).to_be_visible()

    tabs = page.get_by_role("navigation", name="Personal Info")
    tabs.get_by_role("link", name="Attributes").click()
    expect(page.get_by_text("Read-only").first).to_be_visible()
    page.get_by_label("Job title").fill("Rear Admiral")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("Your attributes are saved.")).to_be_visible()

    tabs.get_by_role("link", name="Identification").click()
    expect(page.get_by_text(candidate_id).first).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{stack.url}/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.goto(f"{stack.url}/personal-info")
    page.wait_for_url(re.compile(r"/login\?next="))
    with identity_rpc(amqp_uri) as identity:
        profile = identity.get_profile(candidate_id=candidate_id)
    assert (profile["company"], profile["job_title"], profile["email"]) == ("US Navy", "Rear Admiral", new_email)
    assert profile["address"]["country"] == "US"


@pytest.mark.browser
@pytest.mark.slow
def test_name_change_request_is_listed_with_its_status(stack, amqp_uri, page, tmp_path):
    email = _unique("ada.king")
    with_password(stack, amqp_uri, email)
    scan = tmp_path / "passport.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)
    log_in(page, stack, email)
    page.wait_for_url(f"{stack.url}/")

    page.goto(f"{stack.url}/personal-info/name-change")
    page.get_by_label("New first name").fill("Augusta Ada")
    page.get_by_label("New last name").fill("King")
    page.get_by_label("Why is your name changing?").fill("Marriage")
    page.get_by_label("Scan or photo of a government-issued photo ID").set_input_files(str(scan))
    page.get_by_role("button", name="Send the request").click()

    expect(page.get_by_text("is with our support team")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Augusta Ada King"))
    expect(row.get_by_text("Waiting for support")).to_be_visible()


# -- forgotten password ------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_forgotten_password_is_reset_by_the_mailed_link(stack, amqp_uri, page):
    email = _unique("barbara")
    candidate_id = with_password(stack, amqp_uri, email, first_name="Barbara", last_name="Liskov")

    page.goto(f"{stack.url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Candidate ID or email address").fill(candidate_id)
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(mailed_link(stack, email, pattern=RESET_LINK))
    page.get_by_label(re.compile(r"^New password")).fill("a completely new passphrase")
    page.get_by_label("Type the new password again").fill("a completely new passphrase")
    page.get_by_role("button", name="Change my password and log in").click()

    page.wait_for_url(f"{stack.url}/")
    expect(page.get_by_text("Your password has been changed")).to_be_visible()


# -- the JSON API -----------------------------------------------------------------------------------
def test_api_token_and_me(stack, amqp_uri):
    email = _unique("margaret")
    candidate_id = with_password(stack, amqp_uri, email, first_name="Margaret", last_name="Hamilton")
    api = f"{stack.url}/api/v1"

    unknown = requests.post(f"{api}/auth/token", json={"login": _unique("nobody"), "password": PASSWORD}, timeout=10)
    wrong = requests.post(f"{api}/auth/token", json={"login": candidate_id, "password": "not her password"}, timeout=10)
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["error"]["code"] == "invalid_credentials"

    answer = requests.post(f"{api}/auth/token", json={"login": email, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 200
    token = answer.json()
    assert token["token_type"] == "bearer" and token["expires_in"] > 0
    bearer = {"Authorization": f"Bearer {token['access_token']}"}

    me = requests.get(f"{api}/me", headers=bearer, timeout=10)
    assert me.status_code == 200
    assert re.fullmatch(r"CSCO\d{8}", me.json()["candidate_id"])
    assert {k: me.json()[k] for k in ("candidate_id", "first_name", "last_name", "email", "program")} == {
        "candidate_id": candidate_id, "first_name": "Margaret", "last_name": "Hamilton", "email": email,
        "program": "cisco"}

    bad = requests.patch(f"{api}/me", headers=bearer, json={"phone": "+1 617 555 0100", "address": {"country": "ZZ"}},
                         timeout=10)
    assert bad.status_code == 422 and "address.country" in bad.json()["error"]["fields"]
    good = requests.patch(f"{api}/me", headers=bearer, timeout=10, json={
        "phone": "+1 617 555 0100", "preferred_language": "en",
        "address": {"line1": "77 Massachusetts Ave", "city": "Cambridge", "country": "US"}})
    assert good.status_code == 200, good.text
    assert good.json()["address"]["city"] == "Cambridge"

    assert requests.get(f"{api}/me", timeout=10).status_code == 401
    assert requests.get(f"{api}/me", headers={"Authorization": "Bearer forged"}, timeout=10).status_code == 401

    # A used first-time token fails the second time.
    requests.post(f"{api}/auth/forgot-password", json={"email": email}, timeout=10)
    reset = mailed_link(stack, email, pattern=RESET_LINK).rsplit("/", 1)[1]
    new_password = "a brand new passphrase"
    assert requests.post(f"{api}/auth/password", json={"token": reset, "password": new_password}, timeout=10).status_code == 204
    again = requests.post(f"{api}/auth/password", json={"token": reset, "password": new_password}, timeout=10)
    assert again.status_code == 410 and again.json()["error"]["code"] == "link_token_invalid"
    # …and the password change ended the token issued before it.
    assert requests.get(f"{api}/me", headers=bearer, timeout=10).status_code == 401


def _comparable(response) -> tuple:
    # Date and the request id differ from one request to the next whatever the answer.
    headers = sorted((name, value) for name, value in response.headers.items()
                     if name not in ("Date", "X-Request-ID"))
    return response.status_code, headers, response.content


def test_mail_requests_answer_the_same_for_known_and_unknown_addresses(stack, amqp_uri):
    email = _unique("known")
    report(amqp_uri, email)
    for path in ("first-time", "forgot-password", "forgot-candidate-id"):
        known = requests.post(f"{stack.url}/api/v1/auth/{path}", json={"email": email}, timeout=10)
        unknown = requests.post(f"{stack.url}/api/v1/auth/{path}", json={"email": _unique("unknown")}, timeout=10)
        assert known.status_code == unknown.status_code == 202
        assert _comparable(known) == _comparable(unknown)


def test_mail_pages_answer_the_same_for_known_and_unknown_addresses(stack, amqp_uri):
    email = _unique("known")
    report(amqp_uri, email)
    browser = requests.Session()
    for path, field in (("first-time", "email"), ("forgot-password", "login"), ("forgot-candidate-id", "email")):
        form = browser.get(f"{stack.url}/{path}", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        answers = []
        for value in (email, _unique("unknown")):
            posted = browser.post(f"{stack.url}/{path}", data={field: value, "csrf_token": token},
                                  allow_redirects=False, timeout=10)
            followed = browser.get(f"{stack.url}{posted.headers['Location']}", timeout=10)
            answers.append((_comparable(posted), _comparable(followed)))
        assert answers[0] == answers[1], path
        assert answers[0][0][0] == 302 and answers[0][1][0] == 200


# -- account trust (docs/decisions/0018-account-security.md) -----------------------------------
def browser_session(stack, login: str, password: str = PASSWORD) -> requests.Session:
    """A browser's cookies, logged in through the login form."""
    browser = requests.Session()
    page = browser.get(f"{stack.url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) \
        or re.search(r'name="csrf_token" value="([^"]+)"', page)
    answer = browser.post(f"{stack.url}/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": token.group(1), "login": login, "password": password})
    assert answer.status_code == 302, answer.text[:500]
    return browser


def bearer(stack, login: str, password: str = PASSWORD) -> dict:
    answer = requests.post(f"{stack.url}/api/v1/auth/token", json={"login": login, "password": password},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.mark.slow
def test_a_score_report_does_not_take_over_a_record_that_has_a_password(stack, amqp_uri):
    owner, attacker = _unique("owner"), _unique("mallory")
    number = str(uuid.uuid4().int)[:9]
    candidate_id = with_password(stack, amqp_uri, owner, last_name="Lamarr", registration_number=number)

    answer = requests.post(f"{stack.url}/api/v1/auth/first-time/score-report", timeout=10, json={
        "last_name": "Lamarr", "registration_number": number, "new_email": attacker})

    assert answer.status_code == 202 and "@example.com" in answer.json()["sent_to"]  # as for anyone
    told = mailed_link(stack, attacker, pattern=re.compile(r"https?://[^\s\"'<>]+/support"))
    assert told.endswith("/support")
    with identity_rpc(amqp_uri) as identity:
        assert identity.get_profile(candidate_id=candidate_id)["email"] == owner
    bearer(stack, candidate_id)  # the owner's password still works


@pytest.mark.slow
def test_a_password_reset_ends_every_other_session_and_token_at_the_next_request(stack, amqp_uri):
    email = _unique("hedy")
    candidate_id = with_password(stack, amqp_uri, email)
    second_browser = browser_session(stack, candidate_id)
    old_token = bearer(stack, candidate_id)
    for path in ("/api/v1/me", "/api/v1/me/transcripts", "/api/v1/me/orders"):
        assert requests.get(f"{stack.url}{path}", headers=old_token, timeout=10).status_code == 200, path
    assert second_browser.get(f"{stack.url}/personal-info", timeout=10, allow_redirects=False).status_code == 200

    requests.post(f"{stack.url}/api/v1/auth/forgot-password", json={"email": email}, timeout=10)
    reset = mailed_link(stack, email, pattern=RESET_LINK).rsplit("/", 1)[1]
    new_password = "quartz meadow lantern eleven"
    assert requests.post(f"{stack.url}/api/v1/auth/password", timeout=10,
                         json={"token": reset, "password": new_password}).status_code == 204

    # The very next request of each is refused: no cache, no grace period.
    page = second_browser.get(f"{stack.url}/personal-info", timeout=10, allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    for path in ("/api/v1/me", "/api/v1/me/transcripts", "/api/v1/me/orders",
                 "/api/v1/me/certifications", "/api/v1/me/exams"):
        assert requests.get(f"{stack.url}{path}", headers=old_token, timeout=10).status_code == 401, path
    assert requests.get(f"{stack.url}/api/v1/me", headers=bearer(stack, candidate_id, new_password),
                        timeout=10).status_code == 200
