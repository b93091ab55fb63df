"""The staff console's kit orders: search, view, audited status correction, refund
(fulfillment and identity replaced by fakes: gateway/tests/fakes/fulfillment.py, gateway/tests/fakes/identity.py)."""
from __future__ import annotations

import re

import pytest

from .accounts import form_token

ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "San Jose", "region": "CA",
           "postal_code": "95134", "country": "US"}
CARD = "pm_card_visa"  # the payment processor's token of 4242 4242 4242 4242


@pytest.fixture
def fulfillment(fake_fulfillment):
    return fake_fulfillment


@pytest.fixture
def order_id(fulfillment):
    fulfillment.grant_kit("CSCO10000001")
    order = fulfillment.place_order("CSCO10000001", "key-00000001", [{"kind": "entitlement", "certification_id": "ccna"}],
                                    ADDRESS, "tracked", CARD)
    fulfillment.calls.clear()
    return order["order_id"]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/staff/orders"), ("GET", "/staff/orders/ORD-2026-000001"),
    ("POST", "/staff/orders/ORD-2026-000001/status"), ("POST", "/staff/orders/ORD-2026-000001/refund")])
def test_without_a_staff_session_nothing_reaches_fulfillment(client, fulfillment, order_id, method, path):
    token = form_token(client, "/staff/login")
    response = client.open(path, method=method, data={"csrf_token": token, "status": "shipped", "reason": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert fulfillment.calls == []


def test_staff_find_an_order_by_candidate_and_status(staff, fulfillment, order_id):
    page = _text(staff.get("/staff/orders?candidate_id=CSCO10000001&status=placed"))
    assert order_id in page and "$15.00" in page
    assert order_id not in _text(staff.get("/staff/orders?status=delivered"))
    assert fulfillment.called("staff_search_orders")[0] == {
        "order_id": None, "candidate_id": "CSCO10000001", "status": "placed", "refund_due": False,
        "needs_attention": False}


def test_a_status_correction_records_who_and_why(staff, fulfillment, order_id):
    path = f"/staff/orders/{order_id}"
    response = staff.post(f"{path}/status", data={"csrf_token": form_token(staff, path), "status": "shipped",
                                                  "reason": "the warehouse confirmed by phone"})
    assert response.status_code == 303
    page = _text(staff.get(path))
    assert "shipped" in page and "sam@certtrack.example" in page and "the warehouse confirmed by phone" in page
    missing = staff.post(f"{path}/status", data={"csrf_token": form_token(staff, path), "status": "delivered",
                                                 "reason": ""})
    assert missing.status_code == 422 and "Give a reason" in _text(missing)


def test_a_cancelled_paid_order_is_refunded_once(staff, fulfillment, order_id):
    fulfillment.cancel_order("CSCO10000001", order_id)
    path = f"/staff/orders/{order_id}"
    assert "Refund $15.00" in _text(staff.get(path))
    staff.post(f"{path}/refund", data={"csrf_token": form_token(staff, path)})
    page = _text(staff.get(path))
    assert "refunded $15.00" in page and "Refund $15.00" not in page
    assert fulfillment.called("staff_refund_order") == [{"order_id": order_id, "staff_member": "sam@certtrack.example"}]


def test_refunds_due_lists_cancelled_paid_orders_until_refunded(staff, fulfillment, order_id):
    assert order_id not in _text(staff.get("/staff/orders?refund_due=1"))  # still placed: nothing owed
    fulfillment.cancel_order("CSCO10000001", order_id)
    listed = _text(staff.get("/staff/orders?refund_due=1"))
    assert order_id in listed and "refund due" in listed
    path = f"/staff/orders/{order_id}"
    staff.post(f"{path}/refund", data={"csrf_token": form_token(staff, path)})
    assert order_id not in _text(staff.get("/staff/orders?refund_due=1"))


def test_an_unknown_order_is_404(staff, fulfillment):
    assert staff.get("/staff/orders/ORD-2026-999999").status_code == 404


def test_a_closed_order_the_warehouse_shipped_anyway_needs_attention_until_staff_answer(staff, fulfillment, order_id):
    fulfillment.cancel_order("CSCO10000001", order_id)
    fulfillment.report_shipped_after_closing(order_id)
    assert order_id not in _text(staff.get("/staff/orders?status=placed&needs_attention=1"))
    listed = _text(staff.get("/staff/orders?needs_attention=1"))
    assert order_id in listed and "needs attention" in listed
    path = f"/staff/orders/{order_id}"
    page = _text(staff.get(path))
    assert "Needs attention:" in page and "after it was cancelled" in page
    assert "(not applied)" in page and "reported_after: cancelled" in page
    assert '<option value="cancelled">cancelled (confirm)</option>' in page

    staff.post(f"{path}/status", data={"csrf_token": form_token(staff, path), "status": "cancelled",
                                       "reason": "the warehouse confirmed it never left"})

    assert "Needs attention:" not in _text(staff.get(path))
    assert order_id not in _text(staff.get("/staff/orders?needs_attention=1"))
    assert fulfillment.called("staff_correct_status")[-1]["status"] == "cancelled"
