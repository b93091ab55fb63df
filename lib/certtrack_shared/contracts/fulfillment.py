"""CertTrack → warehouse (`fulfillment.events`), CONTRACTS.md §3."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from certtrack_shared.contracts.envelope import AwareDatetime, Event


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ShipTo(_Part):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: Optional[str] = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=120)
    region: Optional[str] = Field(default=None, max_length=120)
    postal_code: Optional[str] = Field(default=None, max_length=30)
    country: str = Field(min_length=2, max_length=2)
    phone: Optional[str] = Field(default=None, max_length=40)


class OrderItem(_Part):
    sku: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1)


class Shipping(_Part):
    method: Literal["standard", "tracked"]


class OrderPlacedV1(Event):
    event_type: ClassVar[str] = "order_placed"
    schema_version: Literal[1]
    order_id: str
    placed_at: AwareDatetime
    candidate_id: str
    ship_to: ShipTo
    items: list[OrderItem] = Field(min_length=1)
    shipping: Shipping


class OrderCancelledV1(Event):
    event_type: ClassVar[str] = "order_cancelled"
    schema_version: Literal[1]
    order_id: str
    cancelled_at: AwareDatetime
    reason: str
