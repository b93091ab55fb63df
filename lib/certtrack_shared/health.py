"""The `health()` answer every service gives the gateway's /readyz."""
from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import text


class HealthReply(BaseModel):
    service: str
    database: str


def check(session, service: str) -> HealthReply:
    session.execute(text("SELECT 1"))
    return HealthReply(service=service, database="ok")
