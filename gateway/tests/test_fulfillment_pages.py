"""Certificates & Plaques on the candidate site and API, with identity and
fulfillment replaced by honest fakes (gateway/tests/fakes/identity.py, gateway/tests/fakes/fulfillment.py)."""
from __future__ import annotations

import re

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD, PASSWORD, bearer

# What the review page's script submits once the payment processor took the card: its token.
SUCCESS = {"payment_method": "pm_card_visa"}
ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "San Jose", "region": "CA",
           "postal_code": "95134", "country": "US"}


@pytest.fixture
def ada(ada, fake_fulfillment):
    """conftest.py's Ada, granted a certificate kit."""
    fake_fulfillment.grant_kit(ada)
    return ada


def _text(response) -> str:
    return response.get_data(as_text=True)


def _walk_to_review(client, shipping="tracked", items=None):
    assert submit(client, "/certificates/claim", items or {"claim": "ccna"}).status_code == 303
    assert submit(client, "/certificates/claim/address", ADDRESS).status_code == 303
    assert submit(client, "/certificates/claim/shipping", {"shipping_method": shipping}).status_code == 303
    return client.get("/certificates/claim/review")


def test_the_tab_is_in_the_nav_and_shows_the_free_kit(client, ada):
    log_in(client, ada, PASSWORD)
    page = _text(client.get("/certificates"))
    assert 'href="/certificates"' in _text(client.get("/"))
    assert "Certificates &amp; Plaques" in page and "CCNA certificate" in page and "$0.00" in page
    assert "Ready to claim" in page


def test_claiming_with_tracked_shipping_and_the_success_card_places_one_order(client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    review = _walk_to_review(client)
    page = _text(review)
    assert "$15.00" in page and 'id="card-number"' in page and 'name="payment_method"' in page
    # The card's fields have no name, so no browser submits them here; the script hands them to the processor.
    assert not re.search(r'<input[^>]*id="card-(number|expiry|cvc)"[^>]*name=', page)
    assert 'data-payment-processor="http://127.0.0.1:8002"' in page and "checkout.js" in page
    # The page's script may reach the processor, and no other site.
    assert "connect-src 'self' http://127.0.0.1:8002;" in review.headers["Content-Security-Policy"]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    token = csrf_token(page)
    first = client.post("/certificates/claim/confirm", data={"csrf_token": token, "idempotency_key": key, **SUCCESS})
    assert first.status_code == 303
    confirmation = _text(client.get(first.headers["Location"]))
    assert "allow 6–8 weeks for processing and shipping" in confirmation
    # A second click of the same form (same key) changes nothing.
    client.post("/certificates/claim/confirm", data={"csrf_token": token, "idempotency_key": key, **SUCCESS})
    assert len(fake_fulfillment.orders) == 1 and len(fake_fulfillment.charges) == 1
    for call in fake_fulfillment.called("place_order"):
        assert call["payment_method"] == "pm_card_visa" and "card" not in call  # the token, never a card
    history = _text(client.get("/certificates/orders"))
    assert "ORD-2026-000001" in history and "Visa ending 4242" in history and "Cancel order" in history


def test_cancelling_a_paid_order_frees_the_kit_and_says_the_refund_follows(client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client))
    client.post("/certificates/claim/confirm", data={"csrf_token": csrf_token(page),
                                                     "idempotency_key": "ada-checkout-2", **SUCCESS})
    [order_id] = fake_fulfillment.orders
    history = _text(client.get("/certificates/orders"))
    cancelled = client.post(f"/certificates/orders/{order_id}/cancel", data={"csrf_token": csrf_token(history)},
                            follow_redirects=True)
    page = re.sub(r"\s+", " ", _text(cancelled))
    assert f"Order {order_id} is cancelled" in page and "will refund $15.00 to your card" in page
    assert "the refund to your card is pending" in page and f"Cancel order {order_id}" not in page
    assert "Ready to claim" in _text(client.get("/certificates"))


def test_buying_plaques_beside_the_free_kit_shows_clear_totals(client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    items = _text(client.get("/certificates/claim"))
    assert "CCNA wall plaque" in items and "$75.00" in items and "$0.00" in items
    page = re.sub(r"\s+", " ", _text(_walk_to_review(client, items={"claim": "ccna", "buy:ccna:CCNA-PLAQUE": "2"})))
    assert "CCNA wall plaque" in page and "$150.00" in page  # 2 × $75.00
    assert "<dt>Items</dt><dd>$150.00</dd>" in page and "<dt>Shipping</dt><dd>$15.00</dd>" in page
    assert "<dt>Total</dt><dd>$165.00</dd>" in page and "Confirm order and pay $165.00" in page
    [quote] = fake_fulfillment.called("quote_order")[-1:]
    assert quote["items"] == [{"kind": "entitlement", "certification_id": "ccna"},
                              {"kind": "purchase", "certification_id": "ccna", "sku": "CCNA-PLAQUE", "quantity": 2}]


def test_a_kit_claimed_elsewhere_during_the_checkout_sends_back_to_the_items(client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client, shipping="standard"))
    # The same kit claimed meanwhile over the API, with another checkout key.
    fake_fulfillment.place_order(ada, "api-checkout-elsewhere", [{"kind": "entitlement", "certification_id": "ccna"}],
                                 ADDRESS, "standard")
    response = client.post("/certificates/claim/confirm", data={"csrf_token": csrf_token(page),
                                                               "idempotency_key": "ada-checkout-3"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/certificates/claim")
    items = _text(client.get(response.headers["Location"]))
    assert "There is no unclaimed kit for this certification." in items and "choose your items again" in items
    assert len(fake_fulfillment.orders) == 1


def test_a_free_claim_asks_for_no_card(client, ada):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client, shipping="standard"))
    assert 'id="card-number"' not in page and "checkout.js" not in page and "Nothing to pay" in page


def test_a_declined_card_says_why_and_places_nothing(client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    response = client.post("/certificates/claim/confirm", data={
        "csrf_token": csrf_token(page), "idempotency_key": key,
        "payment_method": "pm_card_chargeDeclinedInsufficientFunds"})
    assert response.status_code == 402
    assert "insufficient funds" in _text(response) and "nothing was charged" in _text(response)
    assert fake_fulfillment.orders == {} and fake_fulfillment.charges == []


@pytest.mark.parametrize("card", [
    {"card_number": "4242 4242 4242 4242", "card_expiry": "12/34", "card_cvc": "123"},  # a page from before 0017
    {"card_number": "4242 4242 4242 4242", "payment_method": "pm_card_visa"},
    {"cvc": "123", "payment_method": "pm_card_visa"},
])
def test_a_form_carrying_card_fields_is_refused_unread_and_never_reaches_the_service(client, ada, fake_fulfillment,
                                                                                     card, caplog):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    response = client.post("/certificates/claim/confirm",
                           data={"csrf_token": csrf_token(page), "idempotency_key": key, **card})
    assert response.status_code == 422
    assert "CertTrack never receives card numbers" in _text(response) and "nothing was charged" in _text(response)
    assert "4242 4242" not in _text(response) and "4242 4242" not in caplog.text
    assert fake_fulfillment.called("place_order") == [] and fake_fulfillment.orders == {}
    # The retry keeps the checkout's key: a double click of the corrected form is still one order.
    assert f'name="idempotency_key" value="{key}"' in _text(response)


def test_the_address_step_offers_every_country_and_names_a_missing_one(client, ada):
    log_in(client, ada, PASSWORD)
    submit(client, "/certificates/claim", {"claim": "ccna"})
    page = _text(client.get("/certificates/claim/address"))
    assert '<option value="DE">Germany</option>' in page
    response = submit(client, "/certificates/claim/address", {**ADDRESS, "country": ""})
    assert response.status_code == 422 and '<a href="#ship-country">Country</a>' in _text(response)


def test_an_invalid_address_is_shown_field_by_field(client, ada):
    log_in(client, ada, PASSWORD)
    submit(client, "/certificates/claim", {"claim": "ccna"})
    response = submit(client, "/certificates/claim/address", {**ADDRESS, "region": "", "postal_code": "9513"})
    assert response.status_code == 422
    page = _text(response)
    assert "The state is required for US addresses." in page and "not a valid postal code" in page


def test_another_candidate_cannot_see_claim_or_cancel_on_the_site(client, ada, grace, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    page = _text(_walk_to_review(client, shipping="standard"))
    client.post("/certificates/claim/confirm", data={"csrf_token": csrf_token(page),
                                                     "idempotency_key": "ada-checkout-1"})
    [order_id] = fake_fulfillment.orders
    client.post("/logout", data={"csrf_token": csrf_token(_text(client.get("/")))})

    log_in(client, grace, OTHER_PASSWORD)
    assert order_id not in _text(client.get("/certificates/orders"))
    assert "Ready to claim" not in _text(client.get("/certificates"))
    assert client.get(f"/certificates/orders/{order_id}/confirmation").status_code == 404
    token = csrf_token(_text(client.get("/certificates")))
    assert client.post(f"/certificates/orders/{order_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert fake_fulfillment.orders[order_id]["status"] == "placed"


# -- the API ---------------------------------------------------------------------------------
def _body(key="api-checkout-0001", payment_method=None, shipping="standard"):
    return {"idempotency_key": key, "items": [{"kind": "entitlement", "certification_id": "ccna"}],
            "ship_to": ADDRESS, "shipping_method": shipping, "payment_method": payment_method}


def test_api_places_lists_and_cancels_the_candidates_own_orders(client, ada, grace):
    ada_auth, grace_auth = bearer(client, ada), bearer(client, grace, OTHER_PASSWORD)
    assert client.get("/api/v1/me/entitlements", headers=ada_auth).get_json()["entitlements"][0]["claimable"]
    placed = client.post("/api/v1/me/orders", json=_body(), headers=ada_auth)
    assert placed.status_code == 201
    order_id = placed.get_json()["order_id"]
    again = client.post("/api/v1/me/orders", json=_body(), headers=ada_auth)
    assert again.get_json()["order_id"] == order_id

    assert [o["order_id"] for o in client.get("/api/v1/me/orders", headers=ada_auth).get_json()["items"]] == [order_id]
    assert client.get("/api/v1/me/orders", headers=grace_auth).get_json() == {"items": []}
    assert client.get("/api/v1/me/entitlements", headers=grace_auth).get_json()["entitlements"] == []
    stolen = client.post(f"/api/v1/me/orders/{order_id}/cancel", headers=grace_auth)
    assert stolen.status_code == 404 and stolen.get_json()["error"]["code"] == "order_not_found"
    claimed = client.post("/api/v1/me/orders", json=_body("grace-checkout-1"), headers=grace_auth)
    assert claimed.status_code == 422 and claimed.get_json()["error"]["code"] == "invalid_order"

    cancelled = client.post(f"/api/v1/me/orders/{order_id}/cancel", headers=ada_auth)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    twice = client.post(f"/api/v1/me/orders/{order_id}/cancel", headers=ada_auth)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "order_not_cancellable"


def test_api_answers_a_declined_card_with_402_and_the_reason(client, ada):
    response = client.post("/api/v1/me/orders", json=_body(payment_method="pm_card_chargeDeclined", shipping="tracked"),
                           headers=bearer(client, ada))
    assert response.status_code == 402
    error = response.get_json()["error"]
    assert error["code"] == "payment_declined" and "declined" in error["fields"]["card"]


def test_api_pays_with_the_processors_token(client, ada, fake_fulfillment):
    response = client.post("/api/v1/me/orders", json=_body(payment_method="pm_card_visa", shipping="tracked"),
                           headers=bearer(client, ada))
    assert response.status_code == 201 and response.get_json()["payment"]["last4"] == "4242"
    [call] = fake_fulfillment.called("place_order")
    assert call["payment_method"] == "pm_card_visa" and "card" not in call


@pytest.mark.parametrize("card_fields", [
    {"card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "987"}},
    {"card_number": "4242424242424242", "cvc": "987"},
    {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "987"},
])
def test_api_refuses_card_fields_with_422_never_echoing_or_logging_them(client, ada, fake_fulfillment, card_fields,
                                                                         caplog):
    body = {**_body(shipping="tracked"), **card_fields}
    body.pop("payment_method")
    response = client.post("/api/v1/me/orders", json=body, headers=bearer(client, ada))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "card_data_not_accepted" and "pm_" in error["message"]
    for secret in ("4242424242424242", "987"):
        assert secret not in response.get_data(as_text=True) and secret not in caplog.text
    assert fake_fulfillment.called("place_order") == []


@pytest.mark.parametrize("payment_method", ["4242424242424242", "pm_4242 4242 4242 4242", "tok_visa"])
def test_api_refuses_anything_but_a_token_as_payment_method_without_echoing_it(client, ada, fake_fulfillment,
                                                                               payment_method):
    response = client.post("/api/v1/me/orders", json=_body(payment_method=payment_method, shipping="tracked"),
                           headers=bearer(client, ada))
    assert response.status_code == 422 and "payment_method" in response.get_json()["error"]["fields"]
    assert "4242 4242" not in response.get_data(as_text=True)
    assert fake_fulfillment.called("place_order") == []


def test_api_needs_a_token(client, fake_fulfillment):
    assert client.get("/api/v1/me/orders").status_code == 401
