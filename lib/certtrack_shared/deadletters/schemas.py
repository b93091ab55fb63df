"""The replies of the dead-letter RPCs: a summary, a detail with its audit."""
from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel


class DeadLetterSummary(BaseModel):
    id: int
    service: str
    queue: str
    exchange: str
    routing_key: str
    message_id: str
    reason: str
    dead_lettered_at: datetime
    archived_at: datetime
    status: Literal["held", "replayed", "discarded"]
    resolved_by: Optional[str] = None
    resolved_at: Optional[datetime] = None
    note: Optional[str] = None


class DeadLetterAuditEntry(BaseModel):
    id: int
    action: Literal["replayed", "discarded"]
    staff: str
    at: datetime
    note: Optional[str] = None
    body_before: Optional[str] = None
    body_after: Optional[str] = None


class DeadLetterDetail(DeadLetterSummary):
    # The body as text when it is UTF-8 (None when it is not), and always as base64.
    body_text: Optional[str]
    body_b64: str
    headers: dict
    audit: list[DeadLetterAuditEntry]
