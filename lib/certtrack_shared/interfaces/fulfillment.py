"""The fulfillment service's published RPC models (services/fulfillment/fulfillment/schemas.py
re-exports them): a candidate's entitlements, quotes and orders, and placing one.

The field descriptions are those of the gateway's API documentation (/api/v1/openapi.json).
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

OrderStatus = Literal["placed", "cancelled", "rejected", "shipped", "delivered"]


class Request(BaseModel):
    """A request: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- requests ---------------------------------------------------------------------------
class ItemRequest(Request):
    kind: Literal["entitlement", "purchase"]
    certification_id: str = Field(min_length=1, max_length=80)
    sku: Optional[str] = Field(default=None, max_length=60, description="The SKU to buy (purchases only).")
    quantity: int = Field(default=1, ge=1, le=10)


class OrderRequest(Request):
    items: list[ItemRequest] = Field(min_length=1, max_length=30)
    ship_to: dict
    shipping_method: Literal["standard", "tracked"] = "standard"


class PlaceOrderRequest(OrderRequest):
    idempotency_key: str = Field(
        min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$",
        description="Chosen by the client once per checkout: sending the same key again answers the same order "
                    "and charges once.")
    # The processor's token for the card (`pm_…`), never the card: docs/decisions/0017.
    payment_method: Optional[str] = Field(
        default=None, min_length=4, max_length=100, pattern=r"^pm_[A-Za-z0-9_]+$",
        description="Required when the total is above zero: the payment processor's token (`pm_…`) for the card, "
                    "which the client got by sending the card to the processor itself (the local payment sandbox "
                    "in development: POST the card to its `/v1/payment_methods`; in test mode `pm_card_visa` "
                    "charges Stripe's success card). CertTrack never accepts a card: a body with card fields "
                    "answers 422 `card_data_not_accepted`.")


# -- replies ----------------------------------------------------------------------------
class KitItemView(BaseModel):
    sku: str
    description: str
    price_cents: int


class EntitlementView(BaseModel):
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
    items: list[KitItemView]


class FulfillmentOverview(BaseModel):
    entitlements: list[EntitlementView]
    purchasable: list[PurchasableKit] = Field(description="Additional kits, for active certifications only.")
    tracked_shipping_fee_cents: int
    currency: str


class LineView(BaseModel):
    kind: Literal["entitlement", "purchase"]
    certification_id: str
    sku: str
    description: str
    quantity: int
    unit_price_cents: int
    total_cents: int


class ShippingView(BaseModel):
    method: Literal["standard", "tracked"]
    fee_cents: int
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None


class Quote(BaseModel):
    items: list[LineView]
    ship_to: dict
    shipping: ShippingView
    items_total_cents: int
    total_cents: int
    currency: str
    payment_required: bool


class PaymentView(BaseModel):
    brand: str
    last4: str
    reference: str
    amount_cents: int
    refunded_cents: int
    refund_reference: Optional[str]


class StatusChangeView(BaseModel):
    status: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    applied: bool = Field(description="False for a late warehouse event that did not move the status.")
    detail: dict


class CandidateOrder(Quote):
    """An order as its candidate sees it."""

    order_id: str = Field(description="`ORD-YYYY-NNNNNN`.")
    status: OrderStatus
    placed_at: datetime
    payment: Optional[PaymentView]
    history: list[StatusChangeView]
    cancellable: bool


class OrderView(CandidateOrder):
    """An order as the service answers it: what staff see as well."""

    candidate_id: str
    needs_attention: bool = False  # for staff: see orders.needs_attention
