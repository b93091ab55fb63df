"""Single sign-on as a person does it, in headless Chromium, against the stack
`make run` starts, with its development OpenID Connect provider."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
import requests

from tests.e2e.identity_steps import identity_rpc, mailed_link, report_candidate

PASSWORD = "blue lantern orchard ninety"


def no_external_requests(page):
    # The provider's pages link a stylesheet on a CDN; tests never leave the machine.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())


def sign_in_at_provider(page, stack, subject: str):
    """On the login page: press the SSO button and sign in at the provider as `subject`."""
    page.goto(f"{stack.url}/login")
    page.get_by_role("link", name="Click here to login").click()
    page.wait_for_url(f"{stack.oidc_issuer}/oauth2/authorize?**")
    page.locator('input[name="sub"]').fill(subject)
    page.get_by_role("button", name="Authorize").click()


def set_password_from_the_mail(page, stack, email: str) -> None:
    page.goto(mailed_link(stack, email))
    page.get_by_label(re.compile(r"^New password")).fill(PASSWORD)
    page.get_by_label("Type the new password again").fill(PASSWORD)
    page.get_by_role("button", name="Set my password and log in").click()


def ask_first_time_link(page, stack, email: str) -> None:
    page.goto(f"{stack.url}/first-time")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me the link").click()
    page.wait_for_url(f"{stack.url}/first-time/email-sent")


@pytest.mark.browser
@pytest.mark.slow
def test_sso_is_connected_in_its_own_browser_after_a_login_and_a_confirmation(stack, amqp_uri, page):
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    candidate_id = report_candidate(amqp_uri, email)
    subject = f"ada-{uuid.uuid4().hex[:8]}"
    # Her account at the organisation's provider has her work address, not the one on file.
    requests.put(f"{stack.oidc_issuer}/users/{subject}", json={"email": "ada@acme.example"},
                 timeout=5).raise_for_status()
    no_external_requests(page)

    # First time: the provider signs her in, CertTrack does not know that account yet.
    sign_in_at_provider(page, stack, subject)
    page.wait_for_url(f"{stack.url}/login")
    expect(page.get_by_text("not connected to a CertTrack record yet")).to_be_visible()
    ask_first_time_link(page, stack, email)

    # The mailed link, in this same browser, sets her password; then she confirms the account.
    set_password_from_the_mail(page, stack, email)
    page.wait_for_url(f"{stack.url}/login/sso/connect")
    expect(page.get_by_text("ada@acme.example")).to_be_visible()
    expect(page.get_by_text(stack.oidc_issuer)).to_be_visible()
    page.get_by_role("button", name="Connect this account").click()
    page.wait_for_url(f"{stack.url}/personal-info/identification")
    expect(page.get_by_text("is connected")).to_be_visible()
    with identity_rpc(amqp_uri) as identity:
        mapped = identity.find_by_external_identity(issuer=stack.oidc_issuer, subject=subject)
    assert mapped["candidate_id"] == candidate_id

    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()

    # Next time the provider's word is enough: straight to Home, logged in.
    sign_in_at_provider(page, stack, subject)
    page.wait_for_url(f"{stack.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.get_by_role("link", name="Personal Info")).to_be_visible()


@pytest.mark.browser
@pytest.mark.slow
def test_an_attackers_sso_account_is_not_planted_on_the_victims_record(stack, amqp_uri, browser):
    """The attacker signs in with their own SSO account and asks for a first-time
    link for the victim's address; the victim follows the genuine mail in their
    own browser. Before: the attacker's account was linked and logged them in."""
    victim_email = f"victim.{uuid.uuid4().hex[:8]}@example.com"
    report_candidate(amqp_uri, victim_email)
    mallory = f"mallory-{uuid.uuid4().hex[:8]}"
    attacker = browser.new_context().new_page()
    victim = browser.new_context().new_page()
    for page in (attacker, victim):
        no_external_requests(page)

    sign_in_at_provider(attacker, stack, mallory)
    attacker.wait_for_url(f"{stack.url}/login")
    ask_first_time_link(attacker, stack, victim_email)

    set_password_from_the_mail(victim, stack, victim_email)
    victim.wait_for_url(f"{stack.url}/")  # no connection page: nothing of mallory's in her browser
    with identity_rpc(amqp_uri) as identity:
        assert identity.find_by_external_identity(issuer=stack.oidc_issuer, subject=mallory) is None

    # The attacker's sign-on still reaches no record.
    sign_in_at_provider(attacker, stack, mallory)
    attacker.wait_for_url(f"{stack.url}/login")
    expect(attacker.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    attacker.context.close()
    victim.context.close()


@pytest.mark.browser
def test_cancelling_at_the_provider_ends_on_a_page_that_says_so(stack, page):
    no_external_requests(page)
    page.goto(f"{stack.url}/login")
    page.get_by_role("link", name="Click here to login").click()
    page.wait_for_url(f"{stack.oidc_issuer}/oauth2/authorize?**")
    page.get_by_role("button", name="Deny").click()

    page.wait_for_url(f"{stack.url}/login/sso/callback?**")
    expect(page.get_by_role("heading", name="Single sign-on was cancelled")).to_be_visible()
    expect(page.get_by_role("link", name="Log in with a password")).to_be_visible()
