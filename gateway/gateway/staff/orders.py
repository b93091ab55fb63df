"""Kit orders for staff: search, view, manual status correction (audited), refund,
and the declined payments behind the card-testing limit.

The fulfillment service records who corrected a status, when and why, in
the order's history; a refund goes through the payment processor, once.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..errors import remote_detail
from ..fulfillment import client as fulfillment
from . import access, blueprint
from .forms import problems_of

STATUSES = ("placed", "cancelled", "rejected", "shipped", "delivered")


@blueprint.get("/orders")
def orders():
    search = {name: request.args.get(name, "").strip() for name in ("order_id", "candidate_id", "status")}
    if search["status"] not in STATUSES:
        search["status"] = ""
    # Cancelled or rejected paid orders not refunded yet: a candidate's cancellation refunds
    # nothing by itself (docs/decisions/0007-fulfillment.md), so staff work through this list.
    refund_due = request.args.get("refund_due") == "1"
    # Closed orders the warehouse then reported shipped or delivered: did the parcel leave?
    needs_attention = request.args.get("needs_attention") == "1"
    searched = any(search.values()) or refund_due or needs_attention
    found = fulfillment.staff_search_orders(**{k: v or None for k, v in search.items()},
                         refund_due=refund_due, needs_attention=needs_attention)["items"] if searched else []
    return render_template("staff/orders.html", search=search, refund_due=refund_due,
                           needs_attention=needs_attention, searched=searched, orders=found, statuses=STATUSES)


@blueprint.get("/orders/declines")
def payment_declines():
    """Recent declined payments (what the processor said, never the card) and who is blocked
    now by the card-testing limit (docs/decisions/0014-card-testing-limits.md)."""
    return render_template("staff/payment_declines.html", report=fulfillment.staff_payment_declines())


@blueprint.get("/orders/<order_id>")
def order(order_id: str):
    return _order_page(order_id, {}, {}), 200


def _order_page(order_id: str, problems: dict, values: dict):
    try:
        found = fulfillment.staff_get_order(order_id=order_id)
    except RemoteError as error:
        if error.exc_type == "OrderNotFound":
            abort(404)
        raise
    return render_template("staff/order.html", order=found, problems=problems, values=values, statuses=STATUSES)


@blueprint.post("/orders/<order_id>/status")
def correct_order_status(order_id: str):
    values = {name: request.form.get(name, "").strip() for name in ("status", "reason")}
    try:
        fulfillment.staff_correct_status(order_id=order_id, status=values["status"], reason=values["reason"],
                     staff_member=access.current_staff()["email"])
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        return _order_page(order_id, problems, values), 422
    flash(f"The status of {order_id} is now {values['status']}; the correction is in its history.", "success")
    return redirect(url_for("staff.order", order_id=order_id), 303)


@blueprint.post("/orders/<order_id>/refund")
def refund_order(order_id: str):
    try:
        refunded = fulfillment.staff_refund_order(order_id=order_id, staff_member=access.current_staff()["email"])
    except RemoteError as error:
        if error.exc_type != "RefundNotAllowed":
            raise
        flash(f"Not refunded: {remote_detail(error).get('reason', 'the order cannot be refunded.')}", "error")
    else:
        flash(f"Refunded {refunded['payment']['refunded_cents'] / 100:.2f} {refunded['currency']} "
              f"({refunded['payment']['refund_reference']}).", "success")
    return redirect(url_for("staff.order", order_id=order_id), 303)
