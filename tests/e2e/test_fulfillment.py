"""Certificates & Plaques end to end: a testing vendor reports a passed CCNA
exam, exams and certs turn it into a first achievement, fulfillment grants the
free kit; the candidate claims it in headless Chromium with tracked shipping,
the page handing the card to the payment sandbox (decision 0017): an expired
card is refused (no order, nothing in the processor's ledger), the success
test card pays, and the warehouse simulator (started by run_stack with
short delays) ships and delivers it. Another candidate can neither see nor
cancel that order, nor claim that kit, on the site or over the API. Staff find
the order in the console, correct its status (the parcel came back) with a
reason kept in its history, and refund it through the payment processor."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from tests.e2e.identity_steps import identity_rpc, mailed_link, report_candidate
from tests.e2e.test_staff_console import new_staff, staff_logged_in
from tests.harness.messages import publish_raw, wait_for
from tests.harness.vendor import registration, result

PASSWORD = "copper kettle seven hills"
CCNA = ("200-301", "Implementing and Administering Cisco Solutions")


def vendor_sends(amqp_uri, routing_key, body):
    publish_raw(amqp_uri, "vendor.events", routing_key, body, message_id=body["event_id"])


def fulfillment_overview(amqp_uri, candidate_id):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        return rpc.fulfillment.fulfillment_overview(candidate_id=candidate_id)


def charges_of(stack, candidate_id) -> list:
    """(amount, last4, refunded) of the payment sandbox's charges for this candidate's checkouts."""
    return [(amount, last4, refunded) for _, amount, _, last4, refunded in stack.payment_sandbox.charges(candidate_id)]


def set_password(stack, email) -> None:
    assert requests.post(f"{stack.url}/api/v1/auth/first-time", json={"email": email}, timeout=10).status_code == 202
    token = mailed_link(stack, email).rsplit("/", 1)[1]
    answer = requests.post(f"{stack.url}/api/v1/auth/password", json={"token": token, "password": PASSWORD},
                           timeout=10)
    assert answer.status_code == 204, answer.text


def bearer(stack, login) -> dict:
    token = requests.post(f"{stack.url}/api/v1/auth/token", json={"login": login, "password": PASSWORD},
                          timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def log_in(stack, page, login) -> None:
    page.goto(f"{stack.url}/login")
    page.get_by_label("Candidate ID or email address").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{stack.url}/")


def candidate_who_passed_ccna(stack, amqp_uri, email) -> str:
    number = str(uuid.uuid4().int)[:9]
    vendor_sends(amqp_uri, "exam_registration", registration(number, email=email, last_name="Hamilton", exam=CCNA))
    vendor_sends(amqp_uri, "exam_result", result(number, score=900, email=email, exam=CCNA,
                                                 taken_at="2026-11-02T10:00:00Z", last_name="Hamilton"))
    with identity_rpc(amqp_uri) as identity:
        found = wait_for(lambda: identity.staff_search_candidates(query=email), timeout=60,
                         message=f"identity to create the candidate {email}")
    candidate_id = found[0]["candidate_id"]
    set_password(stack, email)
    return candidate_id


def candidate_with_a_ccna_kit(stack, amqp_uri, email) -> str:
    """A candidate who passed CCNA, with a password, once fulfillment granted the free kit."""
    candidate_id = candidate_who_passed_ccna(stack, amqp_uri, email)
    wait_for(lambda: fulfillment_overview(amqp_uri, candidate_id)["entitlements"], timeout=90, interval=1,
             message="exams → certs → fulfillment to grant the CCNA kit")
    return candidate_id


@pytest.mark.browser
@pytest.mark.slow
def test_candidate_claims_the_free_kit_with_tracked_shipping_and_sees_it_delivered(stack, amqp_uri, browser, page):
    candidate_id = candidate_with_a_ccna_kit(stack, amqp_uri, f"margaret.{uuid.uuid4().hex[:10]}@example.com")

    log_in(stack, page, candidate_id)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certificates & Plaques").click()
    page.wait_for_url(f"{stack.url}/certificates")
    kits = page.locator("table.entitlements tbody tr")
    assert kits.count() == 1
    assert "CCNA certificate" in kits.first.inner_text() and "$0.00" in kits.first.inner_text()

    # Step by step: the free kit, the address, tracked shipping, review and pay.
    page.get_by_role("link", name="Claim & Purchase Fulfillment").click()
    assert page.get_by_label(re.compile("CCNA kit")).is_checked()
    page.get_by_role("button", name="Continue to shipping address").click()
    assert page.get_by_label("Full name").input_value().startswith("John ")  # prefilled from the profile
    page.get_by_label("Address line 1").fill("1 Main St")
    page.get_by_label("City").fill("San Jose")
    page.get_by_label("State / province / region").fill("CA")
    page.get_by_label("Postal code").fill("9513")  # one digit short
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_text("This is not a valid postal code for US")).to_be_visible()
    page.get_by_label("Postal code").fill("95134")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_label(re.compile("Tracked shipping")).check()
    page.get_by_role("button", name="Continue to review").click()
    assert "$15.00" in page.locator(".order-total").inner_text()

    # An expired card: refused in plain words, no order, nothing in the processor's ledger.
    page.get_by_label("Card number").fill("4000 0000 0000 0069")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Confirm order").click()
    problem = page.get_by_role("alert")
    assert "Your card has expired" in problem.inner_text()
    assert "No order was placed and nothing was charged" in problem.inner_text()
    assert "/confirmation" not in page.url
    assert page.get_by_label("Card number").input_value() == ""  # the number is never sent back
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        assert rpc.fulfillment.list_orders(candidate_id=candidate_id) == {"items": []}
    assert charges_of(stack, candidate_id) == []

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name="Confirm order").click()
    page.wait_for_url(re.compile(r".*/certificates/orders/ORD-\d{4}-\d{6}/confirmation"))
    expect(page.get_by_text("allow 6–8 weeks for processing and shipping")).to_be_visible()
    order_id = re.search(r"ORD-\d{4}-\d{6}", page.url).group()

    # The kit is claimed; the history follows the warehouse until delivered.
    page.get_by_role("link", name="Certification Fulfillment Kit History & Status").click()
    order = page.locator(f"article#{order_id}")
    assert "Visa ending 4242" in order.locator(".payment-summary").inner_text()

    def delivered():
        page.reload()
        return "Delivered" in page.locator(f"article#{order_id} .order-status").inner_text()

    wait_for(delivered, timeout=60, interval=1, message="the warehouse simulator to deliver the order")
    history = order.locator(".status-history").inner_text()
    assert re.search(r"Placed.*Shipped.*by UPS, tracking 1Z[A-Z0-9]{16}.*Delivered", history, re.S), history
    assert re.fullmatch(r"1Z[A-Z0-9]{16}", order.locator(".tracking-number").inner_text())
    assert order.get_by_role("button", name=re.compile("Cancel order")).count() == 0

    # The same orders over the API; one charge in the processor's ledger, of the success card.
    [listed] = requests.get(f"{stack.url}/api/v1/me/orders", headers=bearer(stack, candidate_id),
                            timeout=10).json()["items"]
    assert listed["order_id"] == order_id and listed["status"] == "delivered"
    assert listed["payment"]["last4"] == "4242" and listed["total_cents"] == 1500
    assert charges_of(stack, candidate_id) == [(1500, "4242", 0)]

    # Another candidate: the order does not exist for them, and the kit is not theirs to claim.
    intruder_email = f"mallory.{uuid.uuid4().hex[:10]}@example.com"
    intruder = report_candidate(amqp_uri, intruder_email, first_name="Mallory", last_name="Mayhem")
    set_password(stack, intruder_email)
    auth = bearer(stack, intruder)
    assert requests.get(f"{stack.url}/api/v1/me/orders", headers=auth, timeout=10).json() == {"items": []}
    assert requests.get(f"{stack.url}/api/v1/me/entitlements", headers=auth, timeout=10).json()["entitlements"] == []
    seen = requests.get(f"{stack.url}/api/v1/me/orders/{order_id}", headers=auth, timeout=10)
    assert seen.status_code == 404 and seen.json()["error"]["code"] == "order_not_found"
    cancelled = requests.post(f"{stack.url}/api/v1/me/orders/{order_id}/cancel", headers=auth, timeout=10)
    assert cancelled.status_code == 404 and cancelled.json()["error"]["code"] == "order_not_found"
    claimed = requests.post(f"{stack.url}/api/v1/me/orders", headers=auth, timeout=10, json={
        "idempotency_key": f"mallory-{uuid.uuid4().hex}", "shipping_method": "standard",
        "items": [{"kind": "entitlement", "certification_id": listed["items"][0]["certification_id"]}],
        "ship_to": {"name": "Mallory Mayhem", "line1": "2 Side St", "city": "San Jose", "region": "CA",
                    "postal_code": "95134", "country": "US"}})
    assert claimed.status_code == 422 and claimed.json()["error"]["code"] == "invalid_order"

    context = browser.new_context()
    try:
        other = context.new_page()
        log_in(stack, other, intruder)
        other.goto(f"{stack.url}/certificates/orders")
        expect(other.get_by_text("You have no orders yet")).to_be_visible()
        assert order_id not in other.content()
        assert other.goto(f"{stack.url}/certificates/orders/{order_id}/confirmation").status == 404
    finally:
        context.close()
    [still] = requests.get(f"{stack.url}/api/v1/me/orders", headers=bearer(stack, candidate_id),
                           timeout=10).json()["items"]
    assert still["status"] == "delivered"

    # Staff: the parcel came back to the warehouse. Find the order, correct its status, refund it.
    staff_email = new_staff(amqp_uri, role="admin")
    staff = staff_logged_in(browser, stack, staff_email)
    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Orders").click()
    staff.get_by_label("Candidate ID").fill(candidate_id)
    staff.get_by_role("button", name="Search").click()
    staff.get_by_role("link", name=order_id).click()
    staff.wait_for_url(f"{stack.url}/staff/orders/{order_id}")
    staff.get_by_label("New status").select_option("rejected")
    staff.get_by_label("Reason").fill("parcel returned to sender")
    staff.get_by_role("button", name="Correct status").click()
    expect(staff.get_by_text(f"The status of {order_id} is now rejected")).to_be_visible()
    audit = staff.locator("table").last.inner_text()
    assert re.search(rf"rejected.*staff.*{re.escape(staff_email)}.*parcel returned to sender.*delivered", audit, re.S)
    staff.get_by_role("button", name="Refund $15.00").click()
    expect(staff.get_by_text(re.compile(r"Refunded 15\.00 USD"))).to_be_visible()
    assert staff.get_by_role("button", name=re.compile("Refund")).count() == 0
    staff.context.close()
    assert charges_of(stack, candidate_id) == [(1500, "4242", 1500)]  # one charge, refunded

    page.goto(f"{stack.url}/certificates/orders")
    order = page.locator(f"article#{order_id}")
    assert "Rejected" in order.locator(".order-status").inner_text()
    assert "refunded $15.00" in order.locator(".payment-summary").inner_text()
    history = order.locator(".status-history").inner_text()
    assert re.search(r"Rejected.*parcel returned to sender \(corrected by our support team\).*Refunded.*\$15\.00",
                     history, re.S), history
    assert staff_email not in page.content()  # who corrected it stays inside the staff console
