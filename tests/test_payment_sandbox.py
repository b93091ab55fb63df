"""The payment sandbox (deploy/payment_sandbox) behaves like a processor's test mode:
Stripe's test cards, `pm_…` tokens from the browser, charges and refunds that
happen once per idempotency key, and no card number or CVC kept or logged."""
from __future__ import annotations

import re
from datetime import date

import pytest
import requests

from deploy.payment_sandbox.app import create_app
from tests.harness.payment_sandbox import PaymentSandbox

SITE = "http://127.0.0.1:8000"
SECRET = "sk_test_unit"
AUTH = {"Authorization": f"Bearer {SECRET}"}
TODAY = date(2026, 12, 2)


@pytest.fixture
def sandbox(tmp_path):
    app = create_app(str(tmp_path / "ledger.sqlite3"), SECRET, {SITE}, today=lambda: TODAY)
    return app.test_client()


def tokenize(sandbox, number, exp_month=12, exp_year=2034, cvc="123"):
    return sandbox.post("/v1/payment_methods", headers={"Origin": SITE}, json={
        "type": "card", "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}})


def charge(sandbox, payment_method, key, amount=1500):
    return sandbox.post("/v1/charges", headers={**AUTH, "Idempotency-Key": key},
                        json={"amount": amount, "currency": "usd", "payment_method": payment_method})


@pytest.mark.parametrize("number, brand", [
    ("4242 4242 4242 4242", "visa"), ("5555555555554444", "mastercard"), ("378282246310005", "amex"),
])
def test_a_success_card_becomes_a_token_that_charges(sandbox, number, brand):
    cvc = "1234" if brand == "amex" else "123"
    token = tokenize(sandbox, number, cvc=cvc).get_json()
    assert re.fullmatch(r"pm_[A-Za-z0-9_]+", token["id"])
    assert token["card"] == {"brand": brand, "last4": number[-4:], "exp_month": 12, "exp_year": 2034}
    charged = charge(sandbox, token["id"], "key-1")
    assert charged.status_code == 200
    body = charged.get_json()
    assert body["status"] == "succeeded" and body["amount"] == 1500 and body["id"].startswith("ch_")
    assert body["payment_method_details"]["card"] == {"brand": brand, "last4": number[-4:]}


@pytest.mark.parametrize("number, code, words", [
    ("4000000000000002", "card_declined", "was declined"),
    ("4000000000009995", "insufficient_funds", "insufficient funds"),
    ("4000000000000069", "expired_card", "has expired"),
    ("4000000000000127", "incorrect_cvc", "security code (CVC) is incorrect"),
    ("4111111111111111", "card_not_supported", "only accepts test card numbers"),
])
def test_a_decline_card_tokenizes_and_its_charge_is_declined_naming_brand_and_last_four(sandbox, number, code,
                                                                                         words):
    token = tokenize(sandbox, number).get_json()["id"]
    declined = charge(sandbox, token, "key-1")
    assert declined.status_code == 402
    error = declined.get_json()["error"]
    assert error["type"] == "card_error" and error["decline_code"] == code and words in error["message"]
    assert error["payment_method"]["card"]["last4"] == number[-4:]


@pytest.mark.parametrize("card, code", [
    (("4242424242424241", 12, 2034, "123"), "incorrect_number"),  # fails Luhn
    (("4242", 12, 2034, "123"), "incorrect_number"),
    (("4242424242424242", 13, 2034, "123"), "invalid_expiry_month"),
    (("4242424242424242", 11, 2026, "123"), "expired_card"),  # November, it is December
    (("4242424242424242", 1, 20, "123"), "expired_card"),  # two-digit years are this century
    (("4242424242424242", 12, 2099, "123"), "invalid_expiry_year"),
    (("4242424242424242", 12, 2034, "12"), "invalid_cvc"),
    (("378282246310005", 12, 2034, "123"), "invalid_cvc"),  # Amex has 4 digits
])
def test_a_mistyped_card_is_refused_before_any_token_with_the_field_at_fault(sandbox, card, code):
    refused = tokenize(sandbox, *card)
    assert refused.status_code == 402
    error = refused.get_json()["error"]
    assert error["code"] == code and error["message"] and error["param"].startswith("card[")
    assert card[0] not in refused.get_data(as_text=True)


def test_the_same_idempotency_key_charges_once_and_answers_the_same(sandbox):
    token = tokenize(sandbox, "4242424242424242").get_json()["id"]
    first = charge(sandbox, token, "checkout-1")
    again = charge(sandbox, token, "checkout-1")
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = charge(sandbox, token, "checkout-2")
    assert other.get_json()["id"] != first.get_json()["id"]
    # The same key for something else is refused, and charges nothing.
    misuse = charge(sandbox, token, "checkout-1", amount=999)
    assert misuse.status_code == 400 and misuse.get_json()["error"]["type"] == "idempotency_error"


def test_a_decline_is_answered_the_same_under_its_key(sandbox):
    first = charge(sandbox, "pm_card_chargeDeclinedInsufficientFunds", "checkout-3")
    again = charge(sandbox, "pm_card_chargeDeclinedInsufficientFunds", "checkout-3")
    assert first.status_code == again.status_code == 402
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"


def test_stripes_ready_made_test_tokens_work_server_side(sandbox):
    assert charge(sandbox, "pm_card_visa", "k1").get_json()["payment_method_details"]["card"]["last4"] == "4242"
    assert charge(sandbox, "pm_card_chargeDeclined", "k2").status_code == 402
    unknown = charge(sandbox, "pm_never_issued", "k3")
    assert unknown.status_code == 400 and unknown.get_json()["error"]["code"] == "resource_missing"


def test_refunds_happen_once_per_key_and_never_exceed_the_charge(sandbox):
    charged = charge(sandbox, "pm_card_visa", "k1").get_json()["id"]

    def refund(key, amount):
        return sandbox.post("/v1/refunds", headers={**AUTH, "Idempotency-Key": key},
                            json={"charge": charged, "amount": amount})

    first = refund("r1", 1000)
    assert first.status_code == 200 and refund("r1", 1000).get_json() == first.get_json()
    assert sandbox.get(f"/v1/charges/{charged}", headers=AUTH).get_json()["amount_refunded"] == 1000
    too_much = refund("r2", 600)
    assert too_much.status_code == 400 and too_much.get_json()["error"]["code"] == "amount_too_large"
    assert refund("r3", 500).status_code == 200
    assert sandbox.get(f"/v1/charges/{charged}", headers=AUTH).get_json()["refunded"] is True
    assert refund("r4", 1).status_code == 400


def test_charges_and_refunds_need_the_secret_key_and_an_idempotency_key(sandbox):
    body = {"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa"}
    assert sandbox.post("/v1/charges", json=body, headers={"Idempotency-Key": "k"}).status_code == 401
    assert sandbox.post("/v1/charges", json=body, headers={"Authorization": "Bearer sk_wrong",
                                                           "Idempotency-Key": "k"}).status_code == 401
    assert sandbox.post("/v1/charges", json=body, headers=AUTH).status_code == 400
    assert sandbox.get("/v1/charges/ch_x", headers={}).status_code == 401


def test_only_the_sites_pages_may_send_it_cards_from_a_browser(sandbox):
    allowed = sandbox.options("/v1/payment_methods", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert allowed.headers["Access-Control-Allow-Origin"] == SITE
    assert "content-type" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = sandbox.options("/v1/payment_methods", headers={"Origin": "https://evil.example",
                                                            "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # The server-to-server API is never opened to pages.
    charged = sandbox.post("/v1/charges", headers={**AUTH, "Origin": SITE, "Idempotency-Key": "k"},
                           json={"amount": 1, "currency": "usd", "payment_method": "pm_card_visa"})
    assert "Access-Control-Allow-Origin" not in charged.headers


def test_the_running_sandbox_keeps_and_logs_no_card_number_or_cvc(tmp_path):
    sandbox = PaymentSandbox(tmp_path, allowed_origins=SITE).start()
    try:
        token = sandbox.tokenize("4242 4242 4242 4242", cvc="987", origin=SITE)["id"]
        declined = sandbox.tokenize("4000000000009995", cvc="987", origin=SITE)["id"]
        assert sandbox.tokenize("4242424242424241", cvc="987")["error"]["code"] == "incorrect_number"
        for key, payment_method in (("charge:CSCO1:a", token), ("charge:CSCO1:b", declined)):
            requests.post(f"{sandbox.url}/v1/charges?card=4242424242424242", timeout=10, json={
                "amount": 1500, "currency": "usd", "payment_method": payment_method},
                headers={"Authorization": "Bearer sk_test_harness", "Idempotency-Key": key})
        assert [row[1:] for row in sandbox.charges("CSCO1")] == [(1500, "visa", "4242", 0)]
    finally:
        sandbox.stop()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("payment_sandbox.sqlite3*"))
    logged = sandbox.log.read_text()
    assert f"payment method {token}: visa ending 4242" in logged
    for secret in (b"4242424242424242", b"4242 4242 4242 4242", b"4000000000009995", b"4242424242424241"):
        assert secret not in stored and secret.decode() not in logged
    cvc = re.compile(rb"(?<![0-9a-fA-F])987(?![0-9a-fA-F])")
    assert not cvc.search(stored) and not cvc.search(logged.encode())
