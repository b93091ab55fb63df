"""The payment sandbox's HTTP API, shaped like a processor's test mode (Stripe's).

From the browser (CORS, for the allowed site origins only):
  POST /v1/payment_methods  {"type": "card", "card": {number, exp_month, exp_year, cvc}}
                            → 200 {"id": "pm_…", "card": {brand, last4, exp_month, exp_year}}
                            → 402 {"error": {"type": "card_error", "code", "message", "param"}}
From a server (`Authorization: Bearer <secret key>`):
  POST /v1/charges          {"amount", "currency", "payment_method"}, header Idempotency-Key (required)
                            → 200 the charge; 402 card_error (declined, with the card's brand and
                            last four); the same key answers the same again, once, with
                            `Idempotent-Replayed: true`; the same key with other parameters → 400
  GET  /v1/charges/<id>     the charge as it is now (refunds included)
  POST /v1/refunds          {"charge", "amount"}, header Idempotency-Key (required)
  GET  /healthz

Errors are `{"error": {"type", "code", "message"}}`. No log line carries a card
number or CVC: the request log names the method and path only, and the
sandbox logs tokens, brands and last four digits.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from datetime import date, datetime, timezone

from flask import Flask, Response, jsonify, request

from .cards import CardError, CardSummary, inspect, test_payment_method
from .store import Store, remember, remembered

log = logging.getLogger("payment_sandbox")

CURRENCIES = {"usd", "eur", "gbp", "cad", "aud", "jpy", "inr", "chf"}
MAX_AMOUNT = 99_999_999


class ApiError(Exception):
    def __init__(self, status: int, kind: str, code: str, message: str, **extra):
        super().__init__(code)
        self.status, self.body = status, {"error": {"type": kind, "code": code, "message": message, **extra}}


def create_app(database: str, secret_key: str, allowed_origins: set[str], today=None) -> Flask:
    """`today`: the day cards are checked against (tests pin it); the UTC date by default."""
    app = Flask("payment_sandbox")
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a card or a charge is a few hundred bytes
    store = Store(database)
    today = today or (lambda: datetime.now(timezone.utc).date())

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return jsonify(error.body), error.status

    @app.after_request
    def cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if request.path == "/v1/payment_methods" and origin in allowed_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
            response.headers["Vary"] = "Origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    @app.route("/v1/payment_methods", methods=["OPTIONS"])
    def preflight():
        return Response(status=204)

    @app.post("/v1/payment_methods")
    def create_payment_method():
        card = _json().get("card")
        if not isinstance(card, dict):
            raise ApiError(400, "invalid_request_error", "parameter_missing", "Missing required param: card.")
        try:
            summary = inspect(card.get("number"), card.get("exp_month"), card.get("exp_year"), card.get("cvc"),
                              today())
        except CardError as refused:
            raise ApiError(402, "card_error", refused.code, refused.message, param=refused.param) from None
        payment_method = f"pm_{secrets.token_urlsafe(18).replace('-', 'x')}"
        with store.writing() as connection:
            connection.execute(
                "INSERT INTO payment_methods (id, brand, last4, exp_month, exp_year, decline_code, "
                "decline_message, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (payment_method, summary.brand, summary.last4, summary.exp_month, summary.exp_year,
                 *(summary.decline or (None, None)), int(time.time())))
        log.info("payment method %s: %s ending %s", payment_method, summary.brand, summary.last4)
        return _payment_method_view(payment_method, summary)

    @app.post("/v1/charges")
    def create_charge():
        _authorized(secret_key)
        body = _json()
        amount, currency = body.get("amount"), str(body.get("currency") or "").lower()
        if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= MAX_AMOUNT:
            raise ApiError(400, "invalid_request_error", "amount_invalid", "amount: a whole number of cents above 0.")
        if currency not in CURRENCIES:
            raise ApiError(400, "invalid_request_error", "currency_invalid", f"Unsupported currency: {currency!r}.")
        payment_method = str(body.get("payment_method") or "")
        return _idempotent("charges", body, lambda connection: _charge(connection, payment_method, amount,
                                                                      currency, today()))

    @app.get("/v1/charges/<charge_id>")
    def get_charge(charge_id):
        _authorized(secret_key)
        row = store.one("SELECT * FROM charges WHERE id = ?", charge_id)
        if row is None:
            raise ApiError(404, "invalid_request_error", "resource_missing", f"No such charge: '{charge_id}'")
        return _charge_view(row)

    @app.post("/v1/refunds")
    def create_refund():
        _authorized(secret_key)
        body = _json()
        amount = body.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise ApiError(400, "invalid_request_error", "amount_invalid", "amount: a whole number of cents above 0.")
        return _idempotent("refunds", body, lambda connection: _refund(connection, str(body.get("charge") or ""),
                                                                      amount))

    def _idempotent(endpoint: str, body: dict, act):
        """Answer what `act` answers, once per Idempotency-Key: the same key again gets the same
        status and body back; the same key for other parameters is refused."""
        key = request.headers.get("Idempotency-Key", "")
        if not 1 <= len(key) <= 255:
            raise ApiError(400, "invalid_request_error", "idempotency_key_missing",
                           "Send an Idempotency-Key header (1 to 255 characters).")
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with store.writing() as connection:
            earlier = remembered(connection, key, endpoint)
            if earlier is not None:
                if earlier[0] != fingerprint:
                    raise ApiError(400, "idempotency_error", "idempotency_key_in_use",
                                   "Keys for idempotent requests can only be used with the same parameters "
                                   "they were first used with.")
                response = jsonify(earlier[2])
                response.status_code = earlier[1]
                response.headers["Idempotent-Replayed"] = "true"
                return response
            try:
                status, answer = 200, act(connection)
            except ApiError as error:
                if error.status != 402:  # only what was carried out is remembered, as Stripe does
                    raise
                status, answer = error.status, error.body
            remember(connection, key, endpoint, fingerprint, status, answer, int(time.time()))
        return jsonify(answer), status

    def _charge(connection, payment_method: str, amount: int, currency: str, day: date) -> dict:
        summary = _payment_method(connection, payment_method, day)
        charge_id = f"ch_{secrets.token_hex(12)}"
        status = "failed" if summary.decline else "succeeded"
        connection.execute(
            "INSERT INTO charges (id, payment_method, amount, currency, status, amount_refunded, brand, last4, "
            "failure_code, created) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
            (charge_id, payment_method, amount, currency, status, summary.brand, summary.last4,
             summary.decline[0] if summary.decline else None, int(time.time())))
        if summary.decline:
            code, message = summary.decline
            log.info("charge %s declined (%s): %s ending %s", charge_id, code, summary.brand, summary.last4)
            raise ApiError(402, "card_error", code, message, decline_code=code, charge=charge_id,
                           payment_method=_payment_method_view(payment_method, summary))
        log.info("charge %s: %s %s, %s ending %s", charge_id, amount, currency, summary.brand, summary.last4)
        return _charge_view(connection.execute("SELECT * FROM charges WHERE id = ?", (charge_id,)).fetchone())

    def _refund(connection, charge_id: str, amount: int) -> dict:
        charge = connection.execute("SELECT * FROM charges WHERE id = ?", (charge_id,)).fetchone()
        if charge is None or charge["status"] != "succeeded":
            raise ApiError(404, "invalid_request_error", "resource_missing", f"No such charge: '{charge_id}'")
        if charge["amount_refunded"] + amount > charge["amount"]:
            raise ApiError(400, "invalid_request_error", "amount_too_large",
                           f"Refund amount ({amount}) is greater than what remains of charge {charge_id}.")
        refund_id = f"re_{secrets.token_hex(12)}"
        connection.execute("INSERT INTO refunds (id, charge, amount, created) VALUES (?, ?, ?, ?)",
                           (refund_id, charge_id, amount, int(time.time())))
        connection.execute("UPDATE charges SET amount_refunded = amount_refunded + ? WHERE id = ?",
                           (amount, charge_id))
        log.info("refund %s: %s of charge %s", refund_id, amount, charge_id)
        return {"id": refund_id, "object": "refund", "charge": charge_id, "amount": amount, "status": "succeeded"}

    return app


def _payment_method(connection, payment_method: str, day: date) -> CardSummary:
    known = test_payment_method(payment_method, day)
    if known is not None:
        return known
    row = connection.execute("SELECT * FROM payment_methods WHERE id = ?", (payment_method,)).fetchone()
    if row is None:
        raise ApiError(400, "invalid_request_error", "resource_missing",
                       f"No such PaymentMethod: '{payment_method[:60]}'", param="payment_method")
    decline = (row["decline_code"], row["decline_message"]) if row["decline_code"] else None
    return CardSummary(row["brand"], row["last4"], row["exp_month"], row["exp_year"], decline)


def _payment_method_view(payment_method: str, summary: CardSummary) -> dict:
    return {"id": payment_method, "object": "payment_method", "type": "card",
            "card": {"brand": summary.brand, "last4": summary.last4, "exp_month": summary.exp_month,
                     "exp_year": summary.exp_year}}


def _charge_view(row) -> dict:
    return {"id": row["id"], "object": "charge", "amount": row["amount"], "currency": row["currency"],
            "status": row["status"], "amount_refunded": row["amount_refunded"],
            "refunded": row["amount_refunded"] >= row["amount"], "payment_method": row["payment_method"],
            "payment_method_details": {"card": {"brand": row["brand"], "last4": row["last4"]}},
            "created": row["created"]}


def _json() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request_error", "body_invalid", "Send a JSON object (application/json).")
    return body


def _authorized(secret_key: str) -> None:
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not secrets.compare_digest(given.encode(), secret_key.encode()):
        raise ApiError(401, "invalid_request_error", "api_key_invalid",
                       "Invalid API key: send `Authorization: Bearer <the sandbox's secret key>`.")
