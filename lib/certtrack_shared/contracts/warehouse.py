"""Warehouse → CertTrack (`warehouse.events`), CONTRACTS.md §4."""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import Field

from certtrack_shared.contracts.envelope import AwareDatetime, Event

OrderId = Field(min_length=1, max_length=40)


class OrderShippedV1(Event):
    event_type: ClassVar[str] = "order_shipped"
    schema_version: Literal[1]
    order_id: str = OrderId
    shipped_at: AwareDatetime
    carrier: str = Field(min_length=1, max_length=60)
    tracking_number: Optional[str] = Field(default=None, max_length=100)


class OrderDeliveredV1(Event):
    event_type: ClassVar[str] = "order_delivered"
    schema_version: Literal[1]
    order_id: str = OrderId
    delivered_at: AwareDatetime


class OrderRejectedV1(Event):
    event_type: ClassVar[str] = "order_rejected"
    schema_version: Literal[1]
    order_id: str = OrderId
    reason: str = Field(min_length=1, max_length=500)
