"""`/api/v1/me/entitlements` and `/api/v1/me/orders`: the token's candidate's kits and orders."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from certtrack_shared.interfaces.fulfillment import CandidateOrder, FulfillmentOverview, PlaceOrderRequest

from ..auth.tokens import AccessToken, bearer_required
from ..errors import CardDataRefused
from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client

blueprint = Blueprint("fulfillment_api", __name__, url_prefix="/api/v1/me")

TAGS = ("certificates and plaques",)


class ShipTo(BaseModel):
    """The address of PlaceOrder's `ship_to`, as fulfillment checks it (addresses.validate_ship_to)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    line1: str
    line2: Optional[str] = None
    city: str
    region: Optional[str] = Field(default=None, description="Required for US, CA and AU (state or province code).")
    postal_code: Optional[str] = None
    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    phone: Optional[str] = None


# What a client that still sends a card names it: refused with 422 card_data_not_accepted.
CARD_FIELDS = frozenset({"card", "card_number", "number", "cvc", "cvv", "card_cvc", "exp_month", "exp_year"})


class PlaceOrder(PlaceOrderRequest):
    """fulfillment's request, with the shape of `ship_to` spelt out and card fields refused."""

    ship_to: ShipTo

    @model_validator(mode="before")
    @classmethod
    def _no_card(cls, body):
        # Raised as the gateway's own error (not a validation message), so the answer names
        # the rule, and no field's value is echoed or logged.
        if isinstance(body, dict) and CARD_FIELDS & set(body):
            raise CardDataRefused()
        return body


class OrderList(BaseModel):
    items: list[CandidateOrder] = Field(description="Newest first.")


@blueprint.get("/entitlements")
@bearer_required
@api_operation(response=FulfillmentOverview, tags=TAGS,
               summary="The candidate's kit entitlements and the kits they can buy.")
def list_entitlements(candidate: AccessToken):
    return client.fulfillment_overview(candidate_id=candidate.candidate_id)


@blueprint.get("/orders")
@bearer_required
@api_operation(response=OrderList, tags=TAGS, summary="The candidate's orders, newest first.")
def list_orders(candidate: AccessToken):
    return client.list_orders(candidate_id=candidate.candidate_id)


@blueprint.post("/orders")
@bearer_required
@api_operation(request=PlaceOrder, response=CandidateOrder, status=201, tags=TAGS,
               summary="Claim kits and/or buy items, paying with a payment processor's token (`payment_method`). "
                       "A refused card answers 402 `payment_declined` and places nothing; an invalid address or "
                       "item 422 `invalid_order`; card details instead of a token 422 `card_data_not_accepted`.",
               other_responses={
                   429: (ErrorResponse, "`too_many_declined_payments`: 5 payments were declined within an hour for "
                                        "this candidate or from this client address; nothing is sent to the "
                                        "processor until `Retry-After` (seconds) has passed."),
                   503: (ErrorResponse, "`payment_unavailable`: the payment processor did not answer; nothing was "
                                        "placed. Retry with the same `idempotency_key`: it never charges twice."),
               })
def place_order(candidate: AccessToken, body: PlaceOrder):
    arguments = body.model_dump(mode="json")
    return client.place_order(candidate_id=candidate.candidate_id, client_address=request.remote_addr or "",
                              **arguments), 201


@blueprint.get("/orders/<order_id>")
@bearer_required
@api_operation(response=CandidateOrder, tags=TAGS, summary="One of the candidate's orders.")
def get_order(candidate: AccessToken, order_id: str):
    return client.get_order(candidate_id=candidate.candidate_id, order_id=order_id)


@blueprint.post("/orders/<order_id>/cancel")
@bearer_required
@api_operation(response=CandidateOrder, tags=TAGS,
               summary="Cancel an order that has not shipped yet; otherwise 409 `order_not_cancellable`.")
def cancel_order(candidate: AccessToken, order_id: str):
    return client.cancel_order(candidate_id=candidate.candidate_id, order_id=order_id)
