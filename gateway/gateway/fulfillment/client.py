"""The fulfillment service as the gateway calls it: the candidate's claims, quotes and
orders, and the staff console's order desk (docs/rpc/fulfillment.md).

The only module that names fulfillment's methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from .. import rpc
from ..errors import refused  # noqa: F401 — callers use client.refused

_call = partial(rpc.call, "fulfillment")


# -- the candidate's orders ----------------------------------------------------------------
def fulfillment_overview(*, candidate_id):
    return _call("fulfillment_overview", candidate_id=candidate_id)


def quote_order(*, candidate_id, items, ship_to, shipping_method):
    return _call("quote_order", candidate_id=candidate_id, items=items, ship_to=ship_to,
                 shipping_method=shipping_method)


def place_order(
        *, candidate_id, idempotency_key, items, ship_to, shipping_method, payment_method=None, client_address=None):
    return _call("place_order", candidate_id=candidate_id, idempotency_key=idempotency_key, items=items,
                 ship_to=ship_to, shipping_method=shipping_method, payment_method=payment_method,
                 client_address=client_address)


def list_orders(*, candidate_id):
    return _call("list_orders", candidate_id=candidate_id)


def get_order(*, candidate_id, order_id):
    return _call("get_order", candidate_id=candidate_id, order_id=order_id)


def cancel_order(*, candidate_id, order_id):
    return _call("cancel_order", candidate_id=candidate_id, order_id=order_id)


# -- staff: the order desk -----------------------------------------------------------------
def staff_search_orders(
        *, order_id=None, candidate_id=None, status=None, refund_due=False, needs_attention=False):
    return _call("staff_search_orders", order_id=order_id, candidate_id=candidate_id, status=status,
                 refund_due=refund_due, needs_attention=needs_attention)


def staff_payment_declines():
    return _call("staff_payment_declines")


def staff_get_order(*, order_id):
    return _call("staff_get_order", order_id=order_id)


def staff_correct_status(*, order_id, status, reason, staff_member):
    return _call("staff_correct_status", order_id=order_id, status=status, reason=reason,
                 staff_member=staff_member)


def staff_refund_order(*, order_id, staff_member):
    return _call("staff_refund_order", order_id=order_id, staff_member=staff_member)
