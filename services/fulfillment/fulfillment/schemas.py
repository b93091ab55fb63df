"""Pydantic models of the fulfillment RPC requests and replies."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, Field

# The models the gateway reads too are published in the shared package; re-exported here.
from certtrack_shared.interfaces.fulfillment import (  # noqa: F401
    CandidateOrder,
    EntitlementView,
    FulfillmentOverview,
    ItemRequest,
    KitItemView,
    LineView,
    OrderRequest,
    OrderStatus,
    OrderView,
    PaymentView,
    PlaceOrderRequest,
    PurchasableKit,
    Quote,
    ShippingView,
    StatusChangeView,
)
from certtrack_shared.interfaces.fulfillment import Request as _Model


# -- requests (staff) -------------------------------------------------------------------
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
