"""The "Certificates & Plaques" tab and its step-by-step "Claim & Purchase Fulfillment".

Steps: choose items → shipping address (prefilled from the profile, checked
by the service per country) → shipping method → review and pay → confirmation.
What was chosen so far lives in the session (`checkout`): items, address and
shipping method, never a card. The review page renders a fresh idempotency
key in a hidden field; submitting it twice (a double click, a reload after a
timeout) answers the same order and charges once.

The card never reaches CertTrack (docs/decisions/0017): the review page's
script (static/checkout.js) sends it from the browser to the payment processor
(PAYMENT_SANDBOX_URL) and submits only the processor's token,
`payment_method`. A form that carries card fields anyway is refused unread.
"""
from __future__ import annotations

import re
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from nameko.exceptions import RemoteError

from ..auth.session import current_candidate_id, login_required
from ..errors import remote_detail, retry_after, try_again_in
from ..profile.forms import countries
from ..profile.pages import SessionEnded, load_profile, session_ended
from . import client

blueprint = Blueprint("fulfillment", __name__, url_prefix="/certificates")

CHECKOUT = "fulfillment_checkout"
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
MAX_QUANTITY = 5
PAYMENT_METHOD = re.compile(r"pm_[A-Za-z0-9_]{1,97}")
# The names the card's fields had when this form sent them (a page open from before
# decision 0017, or a script filling them in): never read, refused.
CARD_FIELDS = ("card_number", "card_expiry", "card_cvc", "card", "number", "cvc")
# The service's refusals the review page explains, and the status it answers with.
REFUSALS = {"PaymentDeclined": 402, "PaymentUnavailable": 503, "InvalidOrder": 422}


@blueprint.errorhandler(SessionEnded)
def _session_ended(error):
    return session_ended(error)


def _checkout() -> dict:
    return dict(session.get(CHECKOUT) or {})


def _save(checkout: dict) -> None:
    session[CHECKOUT] = checkout


@blueprint.get("")
@login_required
def overview():
    profile = load_profile()
    return render_template("fulfillment/overview.html", profile=profile,
                           overview=client.fulfillment_overview(candidate_id=profile["candidate_id"]))


# -- step 1: items ------------------------------------------------------------------------
@blueprint.route("/claim", methods=["GET", "POST"])
@login_required
def choose_items():
    profile = load_profile()
    overview = client.fulfillment_overview(candidate_id=profile["candidate_id"])
    claimable = {e["certification_id"] for e in overview["entitlements"] if e["claimable"]}
    prices = {(kit["certification_id"], item["sku"]) for kit in overview["purchasable"] for item in kit["items"]}
    problem = None
    if request.method == "POST":
        items = [{"kind": "entitlement", "certification_id": cid}
                 for cid in request.form.getlist("claim") if cid in claimable]
        for (certification_id, sku) in sorted(prices):
            raw = request.form.get(f"buy:{certification_id}:{sku}", "0")
            quantity = int(raw) if raw.isdigit() else 0
            if 0 < quantity <= MAX_QUANTITY:
                items.append({"kind": "purchase", "certification_id": certification_id, "sku": sku,
                              "quantity": quantity})
        if items:
            checkout = _checkout()
            checkout["items"] = items
            _save(checkout)
            return redirect(url_for("fulfillment.address"), 303)
        problem = "Choose at least one item: your free kit or something to buy."
    chosen = _checkout().get("items") or [{"kind": "entitlement", "certification_id": cid} for cid in claimable]
    return render_template("fulfillment/items.html", overview=overview, problem=problem, chosen=chosen,
                           max_quantity=MAX_QUANTITY), 400 if problem else 200


# -- step 2: the address -------------------------------------------------------------------
@blueprint.route("/claim/address", methods=["GET", "POST"])
@login_required
def address():
    profile = load_profile()
    checkout = _checkout()
    if not checkout.get("items"):
        return redirect(url_for("fulfillment.choose_items"))
    problems: dict = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() or None for name in ADDRESS_FIELDS}
        try:
            # The service checks the address per country (and the items once more).
            quote = client.quote_order(candidate_id=profile["candidate_id"], items=checkout["items"],
                                       ship_to=values, shipping_method=checkout.get("shipping_method", "standard"))
        except RemoteError as error:
            if not client.refused(error, "InvalidOrder"):
                raise
            problems = {key.removeprefix("ship_to."): message for key, message in remote_detail(error).items()}
        else:
            checkout["ship_to"] = quote["ship_to"]
            _save(checkout)
            return redirect(url_for("fulfillment.shipping"), 303)
    else:
        values = checkout.get("ship_to") or _from_profile(profile)
    return render_template("fulfillment/address.html", values=values, problems=problems,
                           countries=countries()), 422 if problems else 200


def _from_profile(profile: dict) -> dict:
    address = profile.get("address") or {}
    return {"name": f"{profile['first_name']} {profile['last_name']}", "line1": address.get("line1"),
            "line2": address.get("line2"), "city": address.get("city"), "region": address.get("region"),
            "postal_code": address.get("postal_code"), "country": address.get("country"),
            "phone": profile.get("phone")}


# -- step 3: shipping ----------------------------------------------------------------------
@blueprint.route("/claim/shipping", methods=["GET", "POST"])
@login_required
def shipping():
    load_profile()
    checkout = _checkout()
    if not checkout.get("items") or not checkout.get("ship_to"):
        return redirect(url_for("fulfillment.address"))
    if request.method == "POST":
        method = request.form.get("shipping_method")
        if method in ("standard", "tracked"):
            checkout["shipping_method"] = method
            _save(checkout)
            return redirect(url_for("fulfillment.review"), 303)
    overview = client.fulfillment_overview(candidate_id=current_candidate_id())
    return render_template("fulfillment/shipping.html", fee_cents=overview["tracked_shipping_fee_cents"],
                           currency=overview["currency"], chosen=checkout.get("shipping_method", "standard"))


# -- step 4: review and pay ------------------------------------------------------------------
@blueprint.get("/claim/review")
@login_required
def review():
    load_profile()
    checkout = _checkout()
    if not checkout.get("items") or not checkout.get("ship_to") or not checkout.get("shipping_method"):
        return redirect(url_for("fulfillment.shipping"))
    return _review_page(checkout, secrets.token_urlsafe(24), problem=None)


def _review_page(checkout: dict, idempotency_key: str, problem: str | None, status: int = 200,
                 declined: bool = False, headers: dict | None = None):
    try:
        quote = client.quote_order(candidate_id=current_candidate_id(), items=checkout["items"],
                                   ship_to=checkout["ship_to"], shipping_method=checkout["shipping_method"])
    except RemoteError as error:
        if not client.refused(error, "InvalidOrder"):
            raise
        # What was chosen can no longer be ordered (the kit was claimed in another tab or over
        # the API, the certification was revoked): choose again rather than see an error page.
        reasons = " ".join(str(message) for message in remote_detail(error).values())
        flash(f"Your order needs a change: {reasons} Please choose your items again.", "error")
        return redirect(url_for("fulfillment.choose_items"), 303)
    return render_template("fulfillment/review.html", quote=quote, idempotency_key=idempotency_key,
                           problem=problem, declined=declined), status, headers or {}


@blueprint.post("/claim/confirm")
@login_required
def confirm():
    load_profile()
    checkout = _checkout()
    key = request.form.get("idempotency_key", "")
    if not checkout.get("items") or not checkout.get("ship_to") or not checkout.get("shipping_method"):
        return redirect(url_for("fulfillment.overview"), 303)
    # A retry after a refusal keeps the same key: nothing was placed under it, and a
    # double click of the retried form still answers one order.
    retry_key = key if len(key) >= 8 else secrets.token_urlsafe(24)
    if any(name in request.form for name in CARD_FIELDS):
        return _review_page(checkout, retry_key, "Your card details were not accepted: CertTrack never receives "
                            "card numbers, your browser sends them to the payment processor. Please reload this page "
                            "and enter your card again.", 422, declined=True)
    payment_method = request.form.get("payment_method", "").strip() or None
    if payment_method is not None and not PAYMENT_METHOD.fullmatch(payment_method):
        return _review_page(checkout, retry_key, "Please enter your card again.", 422, declined=True)
    try:
        # The client address counts declines against card testing (docs/decisions/0014).
        order = client.place_order(candidate_id=current_candidate_id(), idempotency_key=key,
                                   items=checkout["items"], ship_to=checkout["ship_to"],
                                   shipping_method=checkout["shipping_method"], payment_method=payment_method,
                                   client_address=request.remote_addr or "")
    except RemoteError as error:
        if client.refused(error, "TooManyDeclinedPayments"):
            problem = try_again_in(
                "Too many declined payments: to protect cardholders, checkout is paused after several declined "
                "cards in a short time. Nothing was charged.", error)
            return _review_page(checkout, retry_key, problem, 429, declined=True, headers=retry_after(error))
        status = next((code for kind, code in REFUSALS.items() if client.refused(error, kind)), None)
        if status is None:
            raise
        detail = remote_detail(error)
        declined = status != 422 or "card" in detail
        problem = detail.get("card") or " ".join(str(message) for message in detail.values()) \
            or "The order could not be placed."
        return _review_page(checkout, retry_key, problem, status, declined=declined)
    session.pop(CHECKOUT, None)
    return redirect(url_for("fulfillment.confirmation", order_id=order["order_id"]), 303)


@blueprint.get("/orders/<order_id>/confirmation")
@login_required
def confirmation(order_id: str):
    load_profile()
    order = _own_order(order_id)
    return render_template("fulfillment/confirmation.html", order=order)


# -- history -----------------------------------------------------------------------------------
@blueprint.get("/orders")
@login_required
def history():
    profile = load_profile()
    orders = client.list_orders(candidate_id=profile["candidate_id"])["items"]
    return render_template("fulfillment/history.html", orders=orders)


@blueprint.post("/orders/<order_id>/cancel")
@login_required
def cancel(order_id: str):
    load_profile()
    try:
        cancelled = client.cancel_order(candidate_id=current_candidate_id(), order_id=order_id)
    except RemoteError as error:
        if client.refused(error, "OrderNotFound"):
            abort(404)
        if not client.refused(error, "OrderNotCancellable"):
            raise
        flash(f"Order {order_id} can no longer be cancelled: it has left the warehouse or was closed.", "error")
    else:
        refund = ""
        if cancelled.get("payment"):
            refund = (f" Our support team will refund {money(cancelled['payment']['amount_cents'], cancelled['currency'])}"
                      " to your card.")
        flash(f"Order {order_id} is cancelled. Any free kit it claimed can be claimed again.{refund}", "success")
    return redirect(url_for("fulfillment.history"), 303)


def _own_order(order_id: str) -> dict:
    try:
        return client.get_order(candidate_id=current_candidate_id(), order_id=order_id)
    except RemoteError as error:
        if client.refused(error, "OrderNotFound"):
            abort(404)
        raise


@blueprint.app_template_filter("money")
def money(cents: int | None, currency: str = "USD") -> str:
    cents = cents or 0
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"
