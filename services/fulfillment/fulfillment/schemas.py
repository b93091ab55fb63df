"""Pydantic models of the fulfillment RPC requests and replies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

OrderStatus = Literal["placed", "cancelled", "rejected", "shipped", "delivered"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- requests ---------------------------------------------------------------------------
class ItemRequest(_Model):
    kind: Literal["entitlement", "purchase"]
    certification_id: str = Field(min_length=1, max_length=80)
    sku: Optional[str] = Field(default=None, max_length=60)  # purchases name the SKU
    quantity: int = Field(default=1, ge=1, le=10)


class OrderRequest(_Model):
    items: list[ItemRequest] = Field(min_length=1, max_length=30)
    ship_to: dict
    shipping_method: Literal["standard", "tracked"] = "standard"


class PlaceOrderRequest(OrderRequest):
    idempotency_key: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    # The processor's token for the card (`pm_…`), never the card: docs/decisions/0017.
    payment_method: Optional[str] = Field(default=None, min_length=4, max_length=100, pattern=r"^pm_[A-Za-z0-9_]+$")


class StatusCorrection(_Model):
    order_id: str = Field(min_length=1, max_length=20)
    status: OrderStatus
    reason: str = Field(min_length=3, max_length=500)
    staff: str = Field(min_length=1, max_length=200)


class OrderSearch(_Model):
    order_id: Optional[str] = Field(default=None, max_length=20)
    candidate_id: Optional[str] = Field(default=None, max_length=20)
    status: Optional[OrderStatus] = None
    refund_due: bool = False  # cancelled or rejected, paid and not refunded yet
    needs_attention: bool = False  # shipped or delivered reported after closing (orders.needs_attention)


# -- replies ----------------------------------------------------------------------------
class KitItemView(BaseModel):
    sku: str
    description: str
    price_cents: int


class EntitlementView(BaseModel):
    certification_id: str
    certification_name: str
    items: list[dict]
    granted_at: datetime
    price_cents: int
    claimable: bool
    order_id: Optional[str]


class PurchasableKit(BaseModel):
    certification_id: str
    certification_name: str
    items: list[KitItemView]


class FulfillmentOverview(BaseModel):
    entitlements: list[EntitlementView]
    purchasable: list[PurchasableKit]
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
    applied: bool
    detail: dict


class OrderView(Quote):
    order_id: str
    candidate_id: str
    status: OrderStatus
    placed_at: datetime
    payment: Optional[PaymentView]
    history: list[StatusChangeView]
    cancellable: bool
    needs_attention: bool = False  # for staff: see orders.needs_attention


class OrderList(BaseModel):
    items: list[OrderView]


class DeclineView(BaseModel):
    """A declined payment as staff see it: what the processor said, never the card."""

    candidate_id: str
    client_address: str
    declined_at: datetime
    code: str
    reason: str
    brand: Optional[str]  # only when the processor gave them
    last4: Optional[str]


class BlockView(BaseModel):
    kind: Literal["candidate", "client_address"]
    key: str
    declines: int  # inside the window
    blocked_until: datetime


class DeclineReport(BaseModel):
    declines: list[DeclineView]  # newest first
    blocked: list[BlockView]
    window_minutes: int
    candidate_limit: int
    address_limit: int
