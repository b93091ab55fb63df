"""The staff console in headless Chromium, against the stack `make run` starts:
a candidate asks for a name change with a scan of their ID, staff approve it."""
from __future__ import annotations

import base64
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.identity_steps import identity_rpc, mailed_link, report_candidate
from tests.e2e.staff_steps import STAFF_PASSWORD, log_in_browser

# A 1×1 PNG: identity checks the type by content, not by the file name.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
CANDIDATE_PASSWORD = "violet harbour seventeen kites"


def candidate_with_password(stack, amqp_uri, email: str) -> str:
    """A candidate reported by a vendor who finished the first-time login (by RPC and mail)."""
    candidate_id = report_candidate(amqp_uri, email, first_name="Grace", last_name="Brewster")
    with identity_rpc(amqp_uri) as identity:
        identity.start_first_time_by_email(email=email)
        token = mailed_link(stack, email).rsplit("/", 1)[1]
        identity.complete_first_time(token=token, password=CANDIDATE_PASSWORD)
    return candidate_id


def new_staff(amqp_uri, role: str = "support") -> str:
    email = f"{role}.{uuid.uuid4().hex[:8]}@example.com"
    name = {"support": "Sam Support", "admin": "Ada Admin"}[role]
    with identity_rpc(amqp_uri) as identity:
        identity.staff_create(email=email, name=name, role=role, password=STAFF_PASSWORD)
    return email


def staff_logged_in(browser, stack, email: str):
    """A browser of its own, logged in to the staff console (second factor included), on the ticket queue."""
    staff = browser.new_context().new_page()
    staff.goto(f"{stack.url}/staff/")
    staff.wait_for_url(f"{stack.url}/staff/login?**")
    log_in_browser(staff, stack, email)
    return staff


@pytest.mark.browser
@pytest.mark.slow
def test_name_change_ticket_goes_through_staff_approval(stack, amqp_uri, browser):
    email = f"grace.{uuid.uuid4().hex[:8]}@example.com"
    candidate_id = candidate_with_password(stack, amqp_uri, email)
    staff_email = new_staff(amqp_uri)

    # The candidate asks for the change on their Personal Info pages, with a scan of their ID.
    candidate = browser.new_context().new_page()
    candidate.goto(f"{stack.url}/login")
    candidate.get_by_label("Candidate ID or email address").fill(candidate_id)
    candidate.get_by_label("Password").fill(CANDIDATE_PASSWORD)
    candidate.get_by_role("button", name="Log in").click()
    candidate.wait_for_url(f"{stack.url}/")
    candidate.goto(f"{stack.url}/personal-info/name-change")
    candidate.get_by_label("New first name").fill("Grace")
    candidate.get_by_label("New last name").fill("Hopper")
    candidate.get_by_label("Why is your name changing?").fill("Marriage")
    candidate.get_by_label("Scan or photo of a government-issued photo ID").set_input_files(
        {"name": "passport.png", "mimeType": "image/png", "buffer": PNG}
    )
    candidate.get_by_role("button", name="Send the request").click()
    expect(candidate.get_by_text("Waiting for support").first).to_be_visible()
    # A candidate's session opens no staff page.
    assert candidate.goto(f"{stack.url}/staff/tickets").status == 403

    # Staff log in (their own session, their own browser) and find the ticket in the queue.
    staff = staff_logged_in(browser, stack, staff_email)
    # Support's menu holds only support's work; the administrators' pages refuse them.
    menu = staff.get_by_role("navigation", name="Staff")
    expect(menu.get_by_role("link", name="CE review")).to_be_visible()
    assert menu.get_by_role("link", name="Dead letters").count() == 0
    assert staff.request.get(f"{stack.url}/staff/dead-letters", max_redirects=0).status == 403
    row = staff.get_by_role("row").filter(has_text=candidate_id).filter(has_text="Grace Hopper")
    row.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    staff.wait_for_url(re.compile(rf"{re.escape(stack.url)}/staff/tickets/\d+$"))

    # The ID document: shown inline to staff, never cached, served as what it is.
    frame = staff.frame_locator("iframe.document-frame")
    assert frame.locator("img").evaluate("image => image.naturalWidth") == 1
    document = staff.request.get(staff.url + "/document")
    assert document.status == 200 and document.body() == PNG
    assert document.headers["content-type"] == "image/png"
    assert document.headers["content-disposition"].startswith("inline;")
    assert document.headers["cache-control"] == "no-store"
    assert document.headers["x-content-type-options"] == "nosniff"
    # …and only to staff: the candidate's own session gets nothing.
    assert candidate.request.get(staff.url + "/document", max_redirects=0).status == 403

    staff.get_by_role("button", name="Approve").click()
    expect(staff.get_by_text("Approved: the name is now Grace Hopper")).to_be_visible()
    expect(staff.get_by_text("The document was deleted when the ticket was decided.")).to_be_visible()

    with identity_rpc(amqp_uri) as identity:
        profile = identity.get_profile(candidate_id=candidate_id)
    assert (profile["first_name"], profile["last_name"]) == ("Grace", "Hopper")
    candidate.goto(f"{stack.url}/personal-info/name-change")
    expect(candidate.get_by_text("Approved").first).to_be_visible()


@pytest.mark.browser
def test_staff_create_a_candidate_find_them_and_set_their_ccie_number(stack, amqp_uri, browser):
    staff = staff_logged_in(browser, stack, new_staff(amqp_uri))
    email = f"radia.{uuid.uuid4().hex[:8]}@example.com"

    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Candidates").click()
    staff.get_by_role("link", name="New candidate").click()
    staff.get_by_label("First name").fill("Radia")
    staff.get_by_label("Last name").fill("Perlman")
    staff.get_by_label("Email address").fill(email)
    staff.get_by_role("button", name="Create candidate").click()
    expect(staff.get_by_text(f"a welcome email went to {email}")).to_be_visible()
    candidate_id = re.search(r"/staff/candidates/(\w+)$", staff.url).group(1)
    assert re.fullmatch(r"CSCO\d{8}", candidate_id)

    staff.get_by_label("CCIE number", exact=True).fill("40123")
    staff.get_by_role("button", name="Save attributes").click()
    expect(staff.get_by_text("Saved: CCIE number set to 40123.")).to_be_visible()
    assert staff.get_by_label("CCIE number", exact=True).input_value() == "40123"

    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Candidates").click()
    staff.get_by_label("Candidate ID, email or name").fill(email)
    staff.get_by_role("button", name="Search").click()
    staff.get_by_role("link", name=candidate_id).click()
    expect(staff.get_by_role("heading", name=re.compile("Radia Perlman"))).to_be_visible()
    with identity_rpc(amqp_uri) as identity:
        assert identity.get_profile(candidate_id=candidate_id)["ccie_number"] == "40123"
    assert mailed_link(stack, email, re.compile(r"https?://\S+")) is not None  # the welcome mail

    # Removing takes the explicit box; an emptied field alone is pointed out, not saved.
    staff.get_by_label("CCIE number", exact=True).fill("")
    staff.get_by_role("button", name="Save attributes").click()
    expect(staff.get_by_text("To remove the CCIE number, tick")).to_be_visible()
    staff.get_by_label("Remove the CCIE number (40123)").check()
    staff.get_by_role("button", name="Save attributes").click()
    expect(staff.get_by_text("Saved: CCIE number removed.")).to_be_visible()
    with identity_rpc(amqp_uri) as identity:
        assert identity.get_profile(candidate_id=candidate_id)["ccie_number"] is None
