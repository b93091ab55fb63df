"""An in-memory fulfillment service for the gateway's unit tests.

It answers the fulfillment RPC methods the gateway uses
(services/fulfillment/fulfillment/service.py) with the real signatures and
reply shapes, and the rules a page can show: an entitlement claimed once,
another candidate's order "not found", idempotent `place_order`, payment by
the processor's token (`payment_method`, never a card: Stripe's ready-made
test tokens, e.g. `pm_card_visa` succeeds, `pm_card_chargeDeclined` is
declined, any other `pm_…` is one the processor never issued), a US address needing a state
and a 5-digit ZIP, the card-testing limit (fulfillment/handlers/declines.py: 5
declines per candidate and per client address in a sliding hour, checked
before the processor). Test helpers: `grant_kit`, `charges`,
`processor_attempts`, `calls`, `called`, and `now` (move it, never sleep).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from math import ceil

from certtrack_shared.errors import DomainError

from .rpc import FakeService

InvalidOrder = type("InvalidOrder", (DomainError,), {})
PaymentDeclined = type("PaymentDeclined", (DomainError,), {})
OrderNotFound = type("OrderNotFound", (DomainError,), {})
OrderNotCancellable = type("OrderNotCancellable", (DomainError,), {})
RefundNotAllowed = type("RefundNotAllowed", (DomainError,), {})
InvalidStatusCorrection = type("InvalidStatusCorrection", (DomainError,), {})
TooManyDeclinedPayments = type("TooManyDeclinedPayments", (DomainError,), {})

RPC_METHODS = {
    "health", "fulfillment_overview", "quote_order", "place_order", "list_orders", "get_order", "cancel_order",
    "staff_search_orders", "staff_get_order", "staff_correct_status", "staff_refund_order", "staff_payment_declines",
}
TRACKED_FEE = 1500
# The payment sandbox's ready-made test tokens (deploy/payment_sandbox/cards.py): (last four, decline).
TOKENS = {
    "pm_card_visa": ("4242", None),
    "pm_card_chargeDeclined": ("0002", ("card_declined",
                                        "Your card was declined. Please use another card or contact your bank.")),
    "pm_card_chargeDeclinedInsufficientFunds": ("9995", (
        "insufficient_funds", "Your card was declined because it has insufficient funds. Please use another card.")),
    "pm_card_chargeDeclinedExpiredCard": ("0069", ("expired_card", "Your card has expired. Please use another card.")),
}
UNKNOWN_TOKEN = ("invalid_payment_method", "We could not use these card details. Please enter your card again.")
# fulfillment/handlers/declines.py
DECLINE_WINDOW = timedelta(hours=1)
DECLINE_LIMITS = {"candidate_id": 5, "client_address": 5}


class FakeFulfillment(FakeService):
    service_name = "fulfillment"
    rpc_methods = RPC_METHODS

    def __init__(self):
        self.now = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
        self.entitlements: list[dict] = []
        self.kits: dict[tuple[str, str], dict] = {}
        self.orders: dict[str, dict] = {}
        self.keys: dict[tuple[str, str], str] = {}
        self.charges: list[dict] = []
        self.processor_attempts = 0  # cards that reached the processor, declined or not
        self.declines: list[dict] = []
        self.calls: list[tuple[str, dict]] = []

    # -- test helpers -------------------------------------------------------------------
    def grant_kit(self, candidate_id, certification_id="ccna", name="CCNA"):
        self.entitlements.append({
            "candidate_id": candidate_id, "certification_id": certification_id, "certification_name": name,
            "items": [{"sku": "CCNA-CERT", "description": "CCNA certificate", "quantity": 1}],
            "granted_at": self.now.isoformat(), "price_cents": 0, "order_id": None})
        self.kits[(candidate_id, certification_id)] = {
            "certification_id": certification_id, "certification_name": name,
            "items": [{"sku": "CCNA-PLAQUE", "description": "CCNA wall plaque", "price_cents": 7500}]}

    def called(self, method):
        return [arguments for name, arguments in self.calls if name == method]

    # -- RPC methods --------------------------------------------------------------------
    def health(self):
        return {"service": "fulfillment", "database": "ok"}

    def fulfillment_overview(self, candidate_id):
        return {
            "entitlements": [{**{k: v for k, v in e.items() if k != "candidate_id"}, "claimable": e["order_id"] is None}
                             for e in self.entitlements if e["candidate_id"] == candidate_id],
            "purchasable": [kit for (owner, _), kit in self.kits.items() if owner == candidate_id],
            "tracked_shipping_fee_cents": TRACKED_FEE, "currency": "USD"}

    def quote_order(self, candidate_id, items, ship_to, shipping_method):
        lines = []
        for index, item in enumerate(items):
            if item["kind"] == "entitlement":
                found = [e for e in self.entitlements if e["candidate_id"] == candidate_id
                         and e["certification_id"] == item["certification_id"] and e["order_id"] is None]
                if not found:
                    raise InvalidOrder({f"items.{index}": "There is no unclaimed kit for this certification."})
                lines += [{"kind": "entitlement", "certification_id": item["certification_id"], "sku": i["sku"],
                           "description": i["description"], "quantity": 1, "unit_price_cents": 0, "total_cents": 0}
                          for i in found[0]["items"]]
            else:
                kit = self.kits.get((candidate_id, item["certification_id"]))
                match = [i for i in (kit or {}).get("items", []) if i["sku"] == item.get("sku")]
                if not match:
                    raise InvalidOrder({f"items.{index}": "This item is not sold for this certification."})
                quantity = item.get("quantity", 1)
                lines.append({"kind": "purchase", "certification_id": item["certification_id"], "sku": item["sku"],
                              "description": match[0]["description"], "quantity": quantity,
                              "unit_price_cents": match[0]["price_cents"],
                              "total_cents": match[0]["price_cents"] * quantity})
        address = {k: (ship_to.get(k) or None) for k in
                   ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")}
        problems = {f"ship_to.{k}": "Required." for k in ("name", "line1", "city", "country") if not address[k]}
        if address["country"] == "US":
            if not address["region"]:
                problems["ship_to.region"] = "The state is required for US addresses."
            if not re.fullmatch(r"\d{5}(-\d{4})?", address["postal_code"] or ""):
                problems["ship_to.postal_code"] = "This is not a valid postal code for US."
        if problems:
            raise InvalidOrder(problems)
        fee = TRACKED_FEE if shipping_method == "tracked" else 0
        total = sum(line["total_cents"] for line in lines)
        return {"items": lines, "ship_to": address,
                "shipping": {"method": shipping_method, "fee_cents": fee, "carrier": None, "tracking_number": None},
                "items_total_cents": total, "total_cents": total + fee, "currency": "USD",
                "payment_required": total + fee > 0}

    def place_order(self, candidate_id, idempotency_key, items, ship_to, shipping_method, payment_method=None,
                    client_address=None):
        if (candidate_id, idempotency_key) in self.keys:
            return self._view(self.orders[self.keys[(candidate_id, idempotency_key)]])
        quote = self.quote_order(candidate_id, items, ship_to, shipping_method)
        payment = None
        if quote["total_cents"] > 0:
            if not payment_method:
                raise InvalidOrder({"card": "Enter your card details."})
            if not re.fullmatch(r"pm_[A-Za-z0-9_]+", payment_method):
                raise InvalidOrder({"payment_method": "String should match pattern '^pm_[A-Za-z0-9_]+$'"})
            decline = {"candidate_id": candidate_id, "client_address": (client_address or "unknown")[:64]}
            self._check_declines(decline)
            self.processor_attempts += 1
            last4, refusal = TOKENS.get(payment_method, (None, UNKNOWN_TOKEN))
            if refusal:
                code, reason = refusal
                self.declines.append({**decline, "declined_at": self.now, "code": code, "reason": reason,
                                      "brand": "visa" if last4 else None, "last4": last4})
                raise PaymentDeclined({"card": reason})
            self.charges.append({"amount_cents": quote["total_cents"], "key": idempotency_key})
            payment = {"brand": "visa", "last4": last4, "reference": f"ch_fake_{len(self.charges)}",
                       "amount_cents": quote["total_cents"], "refunded_cents": 0, "refund_reference": None}
        order_id = f"ORD-2026-{len(self.orders) + 1:06d}"
        order = {**quote, "order_id": order_id, "candidate_id": candidate_id, "status": "placed",
                 "placed_at": self.now.isoformat(), "payment": payment,
                 "history": [{"status": "placed", "occurred_at": self.now.isoformat(),
                              "recorded_at": self.now.isoformat(), "source": "candidate", "applied": True,
                              "detail": {}}]}
        for e in self.entitlements:
            if e["candidate_id"] == candidate_id and any(
                    i["kind"] == "entitlement" and i["certification_id"] == e["certification_id"] for i in items):
                e["order_id"] = order_id
        self.orders[order_id] = order
        self.keys[(candidate_id, idempotency_key)] = order_id
        return self._view(order)

    def _blocked_until(self, key, value):
        times = sorted(d["declined_at"] for d in self.declines
                       if d[key] == value and d["declined_at"] > self.now - DECLINE_WINDOW)
        limit = DECLINE_LIMITS[key]
        return times[len(times) - limit] + DECLINE_WINDOW if len(times) >= limit else None

    def _check_declines(self, decline):
        waits = [(until - self.now).total_seconds() for key, value in decline.items()
                 if (until := self._blocked_until(key, value)) is not None]
        if waits:
            raise TooManyDeclinedPayments({"retry_after_seconds": max(1, ceil(max(waits)))})

    def staff_payment_declines(self):
        blocked = []
        for key, kind in (("candidate_id", "candidate"), ("client_address", "client_address")):
            for value in sorted({d[key] for d in self.declines}):
                until = self._blocked_until(key, value)
                if until is not None:
                    count = sum(1 for d in self.declines
                                if d[key] == value and d["declined_at"] > self.now - DECLINE_WINDOW)
                    blocked.append({"kind": kind, "key": value, "declines": count,
                                    "blocked_until": until.isoformat()})
        return {"declines": [{**d, "declined_at": d["declined_at"].isoformat()} for d in reversed(self.declines)],
                "blocked": blocked, "window_minutes": 60, "candidate_limit": DECLINE_LIMITS["candidate_id"],
                "address_limit": DECLINE_LIMITS["client_address"]}

    def list_orders(self, candidate_id):
        own = [o for o in self.orders.values() if o["candidate_id"] == candidate_id]
        return {"items": [self._view(o) for o in reversed(own)]}

    def get_order(self, candidate_id, order_id):
        return self._view(self._own(candidate_id, order_id))

    # -- driving the fake in tests: the warehouse reports a closed order shipped ---------
    def report_shipped_after_closing(self, order_id, tracking_number="1Z999AA10123456784"):
        order = self.orders[order_id]
        order["history"].append({"status": "shipped", "occurred_at": self.now.isoformat(),
                                 "recorded_at": self.now.isoformat(), "source": "warehouse", "applied": False,
                                 "detail": {"carrier": "UPS", "tracking_number": tracking_number,
                                            "reported_after": order["status"]}})
        order["needs_attention"] = True

    def cancel_order(self, candidate_id, order_id):
        order = self._own(candidate_id, order_id)
        if order["status"] != "placed":
            raise OrderNotCancellable({"order_id": order_id, "status": order["status"]})
        order["status"] = "cancelled"
        order["history"].append({"status": "cancelled", "occurred_at": self.now.isoformat(),
                                 "recorded_at": self.now.isoformat(), "source": "candidate", "applied": True,
                                 "detail": {"reason": "cancelled by the candidate"}})
        for e in self.entitlements:
            if e["order_id"] == order_id:
                e["order_id"] = None
        return self._view(order)

    def staff_search_orders(self, order_id=None, candidate_id=None, status=None, refund_due=False,
                            needs_attention=False):
        return {"items": [self._view(o) for o in self.orders.values()
                          if (not needs_attention or o.get("needs_attention"))
                          and (not order_id or o["order_id"] == order_id)
                          and (not candidate_id or o["candidate_id"] == candidate_id)
                          and (not status or o["status"] == status)
                          and (not refund_due or (o["status"] in ("cancelled", "rejected") and o["payment"]
                                                  and not o["payment"]["refunded_cents"]))]}

    def staff_get_order(self, order_id):
        return self._view(self._own(None, order_id))

    def staff_correct_status(self, order_id, status, reason, staff_member):
        order = self._own(None, order_id)
        if not reason or len(reason) < 3:
            raise InvalidStatusCorrection({"reason": "Give a reason of 3 to 500 characters: it is kept in the "
                                                     "order's history."})
        if status == order["status"] and not order.get("needs_attention"):
            raise InvalidStatusCorrection({"status": f"The order is already {status}."})
        order["needs_attention"] = False  # a staff entry answers the question (fulfillment's rule)
        order["history"].append({"status": status, "occurred_at": self.now.isoformat(),
                                 "recorded_at": self.now.isoformat(), "source": "staff", "applied": True,
                                 "detail": {"staff": staff_member, "reason": reason, "previous": order["status"]}})
        order["status"] = status
        return self._view(order)

    def staff_refund_order(self, order_id, staff_member):
        order = self._own(None, order_id)
        if order["status"] not in ("cancelled", "rejected") or not order["payment"] \
                or order["payment"]["refunded_cents"]:
            raise RefundNotAllowed({"order_id": order_id, "reason": "Only a cancelled or rejected order is refunded."})
        order["payment"]["refunded_cents"] = order["payment"]["amount_cents"]
        order["payment"]["refund_reference"] = "re_fake_1"
        return self._view(order)

    def _own(self, candidate_id, order_id):
        order = self.orders.get(order_id)
        if order is None or (candidate_id is not None and order["candidate_id"] != candidate_id):
            raise OrderNotFound({"order_id": order_id})
        return order

    def _view(self, order):
        return {**order, "cancellable": order["status"] == "placed",
                "needs_attention": order.get("needs_attention", False)}
