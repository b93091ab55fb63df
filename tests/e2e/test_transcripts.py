"""Transcripts end to end: a candidate earns CCNA and DevNet Associate through
vendor results (exams → certs → transcripts, all over the broker), creates a
transcript showing only CCNA in headless Chromium, previews and sends it by
email; a third party opens the mailed link from the dev mailbox in a fresh
browser, sees exactly CCNA; the candidate's view count rises; after
deactivation the link shows nothing."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.identity_steps import identity_rpc, mailed_link
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import registration, result

PASSWORD = "copper kettle seven herons"
CCNA_EXAM = ("200-301", "Implementing and Administering Cisco Solutions")
DEVNET_EXAM = ("200-901", "Developing Applications and Automating Workflows using Cisco Platforms")
TRANSCRIPT_LINK = re.compile(r"https?://[^\s\"'<>]+/verify/[A-Za-z0-9_-]{20,}\?access_code=[A-Za-z0-9_-]{20,}")


def vendor_sends(amqp_uri, routing_key, body):
    publish_raw(amqp_uri, "vendor.events", routing_key, body, message_id=body["event_id"])


def projected(amqp_uri, candidate_id) -> tuple[str | None, dict[str, str]]:
    """What the transcripts service's projection holds for the candidate: name, id → status."""
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        options = rpc.transcripts.transcript_options(candidate_id=candidate_id)
    return options["name"], {option["id"]: option["status"] for option in options["certifications"]}


def certified_candidate(stack, amqp_uri, email) -> str:
    """As a vendor: CCNA's and DevNet Associate's exams passed. Identity creates the
    candidate, certs awards both, transcripts' projection learns it; the candidate
    sets a password. Returns the candidate ID."""
    taken_at = (datetime.now(timezone.utc) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for exam in (CCNA_EXAM, DEVNET_EXAM):
        number = str(uuid.uuid4().int)[:9]
        vendor_sends(amqp_uri, "exam_registration", registration(number, email=email, last_name="Hamilton", exam=exam))
        vendor_sends(amqp_uri, "exam_result", result(number, score=900, email=email, exam=exam, taken_at=taken_at,
                                                     last_name="Hamilton"))
    with identity_rpc(amqp_uri) as identity:
        found = wait_for(lambda: identity.staff_search_candidates(query=email), timeout=60,
                         message=f"identity to create the candidate {email}")
    candidate_id = found[0]["candidate_id"]
    expected = ("John Hamilton", {"ccna": "active", "devnet_associate": "active"})
    seen = []
    try:
        wait_for(lambda: seen.append(projected(amqp_uri, candidate_id)) or seen[-1] == expected, timeout=90,
                 message="certs to award CCNA and DevNet Associate, and transcripts to hear of it and of the candidate")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}\nthe projection holds {seen[-1] if seen else None}\n"
                             f"the services logged:\n{stack.problems()}") from None

    assert requests.post(f"{stack.url}/api/v1/auth/first-time", json={"email": email}, timeout=10).status_code == 202
    token = mailed_link(stack, email).rsplit("/", 1)[1]
    answer = requests.post(f"{stack.url}/api/v1/auth/password", json={"token": token, "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 204, answer.text
    return candidate_id


def transcript_row(page, description):
    return page.locator("table.transcripts tbody tr", has_text=description)


@pytest.mark.browser
@pytest.mark.slow
def test_candidate_shares_a_transcript_that_a_third_party_verifies(stack, amqp_uri, page, browser):
    email = f"margaret.{uuid.uuid4().hex[:10]}@example.com"
    recruiter = f"recruiter.{uuid.uuid4().hex[:8]}@example.com"
    candidate_id = certified_candidate(stack, amqp_uri, email)

    # The candidate logs in and opens the Transcripts tab.
    page.goto(f"{stack.url}/login")
    page.get_by_label("Candidate ID or email address").fill(candidate_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{stack.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transcripts").click()
    page.wait_for_url(f"{stack.url}/transcripts")

    # Creates a transcript showing CCNA only.
    page.get_by_role("link", name="Create New Transcript").click()
    page.get_by_label("Description").fill("Globex network engineer role")
    page.get_by_label("Expires after").fill((datetime.now(timezone.utc).date() + timedelta(days=60)).isoformat())
    page.get_by_label("Only the certifications I choose below").check()
    page.get_by_label("CCNA", exact=True).check()
    page.get_by_label("Remarks").fill("Sent after the first interview")
    page.get_by_role("button", name="Create transcript").click()
    page.wait_for_url(re.compile(r"/transcripts/[A-Za-z0-9_-]+/share$"))
    link = page.locator("#share-link").input_value()
    assert TRANSCRIPT_LINK.fullmatch(link)
    assert page.get_by_role("link", name="Share on LinkedIn").get_attribute("href").startswith(
        "https://www.linkedin.com/sharing/share-offsite/?url=")

    # Previews the mail, then sends it.
    page.get_by_label("Recipient's email address").fill(recruiter)
    page.get_by_label("Your message (optional)").fill("Here is my verified CCNA.")
    page.get_by_role("button", name="Preview email").click()
    preview = page.locator(".mail-preview")
    assert "shared a verified CertTrack transcript with you" in preview.inner_text()
    assert link in preview.inner_text()
    assert not [m for m in requests.get(f"{stack.url}/dev/mail.json", timeout=5).json() if recruiter in m["to"]]
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"{stack.url}/transcripts")
    expect(page.get_by_text(f"The transcript was sent to {recruiter}.")).to_be_visible()
    row = transcript_row(page, "Globex network engineer role")
    assert row.locator(".transcript-views").inner_text().strip() == "0"

    # The third party opens the mailed link in a browser of their own.
    mailed = mailed_link(stack, recruiter, pattern=TRANSCRIPT_LINK)
    assert mailed == link
    stranger = browser.new_context()
    try:
        third_party = stranger.new_page()
        third_party.goto(mailed)
        expect(third_party.get_by_role("heading", name="Verified transcript")).to_be_visible()
        assert "John Hamilton" in third_party.locator(".verify__name").inner_text()
        shown = third_party.locator("table.verify__certifications tbody tr")
        assert shown.count() == 1
        assert "CCNA" in shown.first.inner_text() and "Active" in shown.first.inner_text()
        body = third_party.locator("main").inner_text()
        for hidden in ("DevNet", email, "200-301", "Globex", "Sent after the first interview", candidate_id):
            assert hidden not in body

        # The candidate's list counts the view.
        page.reload()
        assert row.locator(".transcript-views").inner_text().strip() == "1"
        assert "Never" not in row.locator('td[data-label="Last viewed"]').inner_text()

        # Deactivated: the same link shows nothing but that.
        row.get_by_role("button", name="Deactivate").click()
        page.wait_for_url(f"{stack.url}/transcripts")
        expect(transcript_row(page, "Globex network engineer role").get_by_text("Deactivated")).to_be_visible()
        third_party.goto(mailed)
        expect(third_party.get_by_text("This transcript has been deactivated by its owner.")).to_be_visible()
        body = third_party.locator("main").inner_text()
        assert "John Hamilton" not in body and "CCNA" not in body
    finally:
        stranger.close()

    # The JSON API agrees: 410, and a wrong access code is a 404.
    code = mailed.split("/verify/", 1)[1].split("?", 1)[0]
    gone = requests.get(f"{stack.url}/api/v1/verify/{code}", params={"access_code": mailed.rsplit("=", 1)[1]}, timeout=10)
    wrong = requests.get(f"{stack.url}/api/v1/verify/{code}", params={"access_code": "guess"}, timeout=10)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "transcript_inactive")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "transcript_not_found")
