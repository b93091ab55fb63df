"""Tables every service database carries for reliable messaging.

Defined once here (SQLAlchemy Core) and created by each service's first
migration, so the outbox relay and the idempotent consumer work the same way
in every service.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

reliability_metadata = MetaData()

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER.
_Id = BigInteger().with_variant(Integer(), "sqlite")

outbox_messages = Table(
    "outbox_messages",
    reliability_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    # "event": publish to exchange/routing_key; "mail": send by SMTP.
    Column("kind", String(10), nullable=False),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("exchange", String(200)),
    Column("routing_key", String(200)),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("sent_at", DateTime(timezone=True), index=True),
)

processed_events = Table(
    "processed_events",
    reliability_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("handler", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("handler", "event_id", name="uq_processed_events_handler_event"),
)
