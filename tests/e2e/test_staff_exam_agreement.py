"""Staff publish a new exam agreement version in the staff console (headless
Chromium, the stack `make run` starts); a candidate who had accepted the
previous version is asked to accept again on their Testing History page."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_console import (
    CANDIDATE_PASSWORD,
    candidate_with_password,
    new_staff,
    staff_logged_in,
)


def candidate_logged_in(browser, stack, candidate_id: str):
    candidate = browser.new_context().new_page()
    candidate.goto(f"{stack.url}/login")
    candidate.get_by_label("Candidate ID or email address").fill(candidate_id)
    candidate.get_by_label("Password").fill(CANDIDATE_PASSWORD)
    candidate.get_by_role("button", name="Log in").click()
    candidate.wait_for_url(f"{stack.url}/")
    return candidate


@pytest.mark.browser
@pytest.mark.slow
def test_staff_publish_a_new_version_and_a_candidate_who_accepted_the_last_is_asked_again(
    stack, amqp_uri, browser
):
    email = f"edsger.{uuid.uuid4().hex[:8]}@example.com"
    candidate_id = candidate_with_password(stack, amqp_uri, email)
    staff_email = new_staff(amqp_uri, role="admin")

    # The candidate accepts the current version N.
    candidate = candidate_logged_in(browser, stack, candidate_id)
    candidate.goto(f"{stack.url}/testing-history")
    agreement = candidate.locator("#agreement")
    accept = agreement.get_by_role("button", name=re.compile(r"^I accept version \d+ of the exam agreement$"))
    version = int(re.search(r"version (\d+)", accept.inner_text()).group(1))
    accept.click()
    candidate.wait_for_url(re.compile(r"/testing-history(#agreement)?$"))
    expect(candidate.get_by_text(f"Thank you: you accepted version {version} of the exam agreement.")).to_be_visible()
    assert agreement.get_by_role("button").count() == 0

    # Staff find the agreements in the console and publish version N+1 of Cisco's.
    staff = staff_logged_in(browser, stack, staff_email)
    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Exam agreements").click()
    staff.wait_for_url(f"{stack.url}/staff/exam-agreements")
    cisco = staff.locator("#program-cisco")
    expect(cisco.get_by_text(re.compile(rf"Current: version {version}\b"))).to_be_visible()
    text = cisco.get_by_label("Text")
    current_text = text.input_value()
    assert "Exam confidentiality" in current_text  # the form starts from the current text
    text.fill(current_text + "\n\nOnline exams now require a room scan before you start.")
    cisco.get_by_role("button", name=f"Publish version {version + 1} of the Cisco agreement").click()
    staff.wait_for_url(re.compile(r"/staff/exam-agreements(#program-cisco)?$"))
    expect(staff.get_by_text(f"Version {version + 1} of the Cisco Certification Exam Agreement is published")).to_be_visible()
    newest = staff.locator("#program-cisco tbody tr").first
    assert newest.locator("td").first.inner_text().startswith(str(version + 1))
    assert staff_email in newest.inner_text()  # who published it is recorded and shown

    # The candidate's next visit asks again, with the new text.
    candidate.reload()
    expect(agreement.get_by_text(f"A new version, version {version + 1}, was published")).to_be_visible()
    expect(agreement.get_by_text("Online exams now require a room scan")).to_be_visible()
    expect(agreement.get_by_role(
        "button", name=f"I accept version {version + 1} of the exam agreement")).to_be_visible()
