"""Checkout cannot be used to test stolen cards: after 5 declined payments in an hour
per candidate or per client address, the next attempt answers 429 and never reaches
the processor (services/fulfillment/fulfillment/handlers/declines.py, faked faithfully in
gateway/tests/fakes/fulfillment.py). Staff (support and admin) see the declines.

The gateway here stands behind one trusted proxy, as in production: the client
address is the one the proxy appended to X-Forwarded-For. Payments carry the
processor's token, as the checkout page and API clients send them: the limit
needs no card."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from .fakes.identity import csrf_token, log_in, submit

from .accounts import OTHER_PASSWORD, PASSWORD, SUPPORT_STAFF, api_error, bearer, staff_signed_in

DECLINED_NUMBER = "4000000000000002"
DECLINED = "pm_card_chargeDeclined"  # the token of 4000 0000 0000 0002
DECLINED_FORM = {"payment_method": DECLINED}
SUCCESS = "pm_card_visa"
ADDRESS = {"name": "Ada Lovelace", "line1": "1 Main St", "city": "San Jose", "region": "CA",
           "postal_code": "95134", "country": "US"}
PROXY = "10.0.0.7"
HOME, CAFE = "203.0.113.5", "198.51.100.7"


@pytest.fixture
def app(make_app):
    return make_app(TRUSTED_PROXY_COUNT=1)


@pytest.fixture
def ada(ada, grace, fake_fulfillment):
    fake_fulfillment.grant_kit(ada)
    fake_fulfillment.grant_kit(grace)
    return ada


def _from(address: str) -> dict:
    return {"headers": {"X-Forwarded-For": address}, "environ_base": {"REMOTE_ADDR": PROXY}}


def _order(payment_method: str, key: str) -> dict:
    return {"idempotency_key": key, "items": [{"kind": "entitlement", "certification_id": "ccna"}],
            "ship_to": ADDRESS, "shipping_method": "tracked", "payment_method": payment_method}


def _pay(client, auth: dict, payment_method: str, address: str, key: str):
    request = _from(address)
    return client.post("/api/v1/me/orders", json=_order(payment_method, key), headers={**auth, **request["headers"]},
                       environ_base=request["environ_base"])


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_sixth_declined_attempt_on_the_review_page_answers_429_and_never_reaches_the_processor(
        client, ada, fake_fulfillment):
    log_in(client, ada, PASSWORD)
    assert submit(client, "/certificates/claim", {"claim": "ccna"}).status_code == 303
    assert submit(client, "/certificates/claim/address", ADDRESS).status_code == 303
    assert submit(client, "/certificates/claim/shipping", {"shipping_method": "tracked"}).status_code == 303
    page = client.get("/certificates/claim/review").get_data(as_text=True)
    answers = []
    for _ in range(6):
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
        answer = client.post("/certificates/claim/confirm", data={"csrf_token": csrf_token(page),
                                                                  "idempotency_key": key, **DECLINED_FORM},
                             **_from(HOME))
        answers.append(answer.status_code)
        page = answer.get_data(as_text=True)

    assert answers == [402] * 5 + [429]
    assert fake_fulfillment.processor_attempts == 5
    assert answer.headers["Retry-After"] == "3600"
    shown = _text(answer)
    assert "Too many declined payments" in shown and "Try again in 60 minutes" in shown
    assert "4000 0000 0000 0002" not in shown and DECLINED_NUMBER not in shown
    assert {call["client_address"] for call in fake_fulfillment.called("place_order")} == {HOME}
    assert fake_fulfillment.orders == {}


def test_the_api_answers_the_sixth_declined_attempt_with_429_too_many_declined_payments(
        client, ada, fake_fulfillment):
    auth = bearer(client, ada)
    for attempt in range(5):
        api_error(_pay(client, auth, DECLINED, HOME, f"ada-checkout-{attempt}"), 402, "payment_declined")
    fake_fulfillment.now += timedelta(minutes=20)

    blocked = _pay(client, auth, DECLINED, HOME, "ada-checkout-5")

    error = api_error(blocked, 429, "too_many_declined_payments")
    assert "try again" in error["message"].lower()
    assert blocked.headers["Retry-After"] == str(40 * 60)
    assert fake_fulfillment.processor_attempts == 5


def test_six_declines_from_one_client_address_across_two_candidates_the_sixth_answers_429(
        client, ada, grace, fake_fulfillment):
    ada_auth, grace_auth = bearer(client, ada), bearer(client, grace, OTHER_PASSWORD)
    for attempt in range(3):
        api_error(_pay(client, ada_auth, DECLINED, HOME, f"ada-checkout-{attempt}"), 402, "payment_declined")
    for attempt in range(2):
        api_error(_pay(client, grace_auth, DECLINED, HOME, f"grace-checkout-{attempt}"), 402, "payment_declined")

    api_error(_pay(client, grace_auth, SUCCESS, HOME, "grace-checkout-2"), 429, "too_many_declined_payments")
    assert fake_fulfillment.processor_attempts == 5


def test_declines_of_one_candidate_do_not_block_another_from_another_address(client, ada, grace, fake_fulfillment):
    ada_auth, grace_auth = bearer(client, ada), bearer(client, grace, OTHER_PASSWORD)
    for attempt in range(5):
        api_error(_pay(client, ada_auth, DECLINED, HOME, f"ada-checkout-{attempt}"), 402, "payment_declined")

    assert _pay(client, grace_auth, SUCCESS, CAFE, "grace-checkout-0").status_code == 201


def test_after_the_window_the_candidate_may_try_again(client, ada, fake_fulfillment):
    auth = bearer(client, ada)
    for attempt in range(5):
        api_error(_pay(client, auth, DECLINED, HOME, f"ada-checkout-{attempt}"), 402, "payment_declined")
    api_error(_pay(client, auth, SUCCESS, HOME, "ada-checkout-5"), 429, "too_many_declined_payments")

    fake_fulfillment.now += timedelta(hours=1, seconds=1)  # the clock moves; nobody sleeps

    assert _pay(client, auth, SUCCESS, HOME, "ada-checkout-6").status_code == 201


def test_staff_see_declines_with_the_reason_and_who_is_blocked_never_a_card_number(app, client, ada, fake_fulfillment):
    auth = bearer(client, ada)
    for attempt in range(5):
        _pay(client, auth, DECLINED, HOME, f"ada-checkout-{attempt}")
    support = staff_signed_in(app, client, SUPPORT_STAFF)

    response = support.get("/staff/orders/declines")

    assert response.status_code == 200
    page = _text(response)
    assert ada in page and HOME in page and "Your card was declined" in page and "card_declined" in page
    assert "visa" in page.lower() and "0002" in page
    assert "Blocked now" in page and "until 2026-12-02 09:00 UTC" in page
    assert DECLINED_NUMBER not in page and "4000 0000" not in page
    assert "Declined payments" in _text(support.get("/staff/orders"))  # linked from the orders area


def test_a_candidate_cannot_see_the_declines(as_ada, fake_fulfillment):
    response = as_ada.get("/staff/orders/declines")

    assert response.status_code == 403
    assert fake_fulfillment.called("staff_payment_declines") == []
