"""`/api/v1/me/entitlements` and `/api/v1/me/orders`: the token's candidate's kits and orders."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..auth.tokens import AccessToken, bearer_required
from ..errors import CardDataRefused
from ..openapi import api_operation
from ..schemas import ErrorResponse
from . import client

blueprint = Blueprint("fulfillment_api", __name__, url_prefix="/api/v1/me")

TAGS = ("certificates and plaques",)


class KitItem(BaseModel):
    sku: str
    description: str
    price_cents: int


class Entitlement(BaseModel):
    """The free initial kit of a certification achieved for the first time."""

    certification_id: str
    certification_name: str
    items: list[dict] = Field(description="`sku`, `description`, `quantity` of each item.")
    granted_at: datetime
    price_cents: int = Field(description="Always 0.")
    claimable: bool = Field(description="False once an order claims it (true again if that order is cancelled).")
    order_id: Optional[str] = Field(description="The order that claimed it.")


class PurchasableKit(BaseModel):
    certification_id: str
    certification_name: str
    items: list[KitItem]


class Entitlements(BaseModel):
    entitlements: list[Entitlement]
    purchasable: list[PurchasableKit] = Field(description="Additional kits, for active certifications only.")
    tracked_shipping_fee_cents: int
    currency: str


class ShipTo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    line1: str
    line2: Optional[str] = None
    city: str
    region: Optional[str] = Field(default=None, description="Required for US, CA and AU (state or province code).")
    postal_code: Optional[str] = None
    country: str = Field(description="ISO 3166-1 alpha-2 code.")
    phone: Optional[str] = None


class OrderItemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["entitlement", "purchase"]
    certification_id: str
    sku: Optional[str] = Field(default=None, description="The SKU to buy (purchases only).")
    quantity: int = Field(default=1, ge=1, le=10)


# What a client that still sends a card names it: refused with 422 card_data_not_accepted.
CARD_FIELDS = frozenset({"card", "card_number", "number", "cvc", "cvv", "card_cvc", "exp_month", "exp_year"})


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(
        min_length=8, max_length=100,
        description="Chosen by the client once per checkout: sending the same key again answers the same order "
                    "and charges once.")
    items: list[OrderItemRequest] = Field(min_length=1)
    ship_to: ShipTo
    shipping_method: Literal["standard", "tracked"] = "standard"
    payment_method: Optional[str] = Field(
        default=None, min_length=4, max_length=100, pattern=r"^pm_[A-Za-z0-9_]+$",
        description="Required when the total is above zero: the payment processor's token (`pm_…`) for the card, "
                    "which the client got by sending the card to the processor itself (the local payment sandbox "
                    "in development: POST the card to its `/v1/payment_methods`; in test mode `pm_card_visa` "
                    "charges Stripe's success card). CertTrack never accepts a card: a body with card fields "
                    "answers 422 `card_data_not_accepted`.")

    @model_validator(mode="before")
    @classmethod
    def _no_card(cls, body):
        # Raised as the gateway's own error (not a validation message), so the answer names
        # the rule, and no field's value is echoed or logged.
        if isinstance(body, dict) and CARD_FIELDS & set(body):
            raise CardDataRefused()
        return body


class OrderLine(BaseModel):
    kind: Literal["entitlement", "purchase"]
    certification_id: str
    sku: str
    description: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class Shipping(BaseModel):
    method: Literal["standard", "tracked"]
    fee_cents: int
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None


class Payment(BaseModel):
    brand: str
    last4: str
    reference: str
    amount_cents: int
    refunded_cents: int
    refund_reference: Optional[str] = None


class StatusChange(BaseModel):
    status: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    applied: bool = Field(description="False for a late warehouse event that did not move the status.")
    detail: dict


class Order(BaseModel):
    order_id: str = Field(description="`ORD-YYYY-NNNNNN`.")
    status: Literal["placed", "cancelled", "rejected", "shipped", "delivered"]
    placed_at: datetime
    items: list[OrderLine]
    ship_to: dict
    shipping: Shipping
    items_total_cents: int
    total_cents: int
    currency: str
    payment: Optional[Payment]
    history: list[StatusChange]
    cancellable: bool


class OrderList(BaseModel):
    items: list[Order] = Field(description="Newest first.")


@blueprint.get("/entitlements")
@bearer_required
@api_operation(response=Entitlements, tags=TAGS,
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
@api_operation(request=PlaceOrder, response=Order, status=201, tags=TAGS,
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
@api_operation(response=Order, tags=TAGS, summary="One of the candidate's orders.")
def get_order(candidate: AccessToken, order_id: str):
    return client.get_order(candidate_id=candidate.candidate_id, order_id=order_id)


@blueprint.post("/orders/<order_id>/cancel")
@bearer_required
@api_operation(response=Order, tags=TAGS,
               summary="Cancel an order that has not shipped yet; otherwise 409 `order_not_cancellable`.")
def cancel_order(candidate: AccessToken, order_id: str):
    return client.cancel_order(candidate_id=candidate.candidate_id, order_id=order_id)
