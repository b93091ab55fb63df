"""Tables every service database carries for reliable messaging.

Defined once here (SQLAlchemy Core) so the outbox relay, the idempotent
consumer and the dead-letter archive work the same way in every service.
`outbox_messages` and `processed_events` are created by each service's first
migration; `dead_letters` and `dead_letter_audit` by a later migration of
each service that consumes events (`certtrack_shared.migrations`).
"""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

reliability_metadata = MetaData()

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER.
_Id = BigInteger().with_variant(Integer(), "sqlite")

def _outbox_columns() -> list[Column]:
    """The outbox as the first migration made it (fresh Column objects: a
    column belongs to one table)."""
    return [
        Column("id", _Id, primary_key=True, autoincrement=True),
        # "event": publish to exchange/routing_key; "mail": send by SMTP;
        # "message": publish payload["body"] as it is (a replayed dead letter).
        Column("kind", String(10), nullable=False),
        Column("message_id", String(200), nullable=False, unique=True),
        Column("exchange", String(200)),
        Column("routing_key", String(200)),
        Column("payload", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
        Column("sent_at", DateTime(timezone=True), index=True),
    ]


def outbox_headers_column() -> Column:
    # What the message goes out with besides its body: its correlation id and
    # trace context (certtrack_shared/tracing), added by each service's
    # migration after the first (`migrations.add_outbox_headers`).
    return Column("headers", JSON)


outbox_messages = Table(
    "outbox_messages", reliability_metadata, *_outbox_columns(), outbox_headers_column())

processed_events = Table(
    "processed_events",
    reliability_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("handler", String(200), nullable=False),
    Column("event_id", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("handler", "event_id", name="uq_processed_events_handler_event"),
)


# The dead letters of this service's own consuming queues, archived from
# `<queue>.dlq` so staff can browse them (a queue cannot be browsed without
# consuming it); see certtrack_shared/deadletters/.
dead_letters = Table(
    "dead_letters",
    reliability_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("queue", String(255), nullable=False),
    Column("exchange", String(200), nullable=False),
    Column("routing_key", String(200), nullable=False),
    Column("message_id", String(200), nullable=False),
    # Exactly the bytes the publisher sent (they may not be UTF-8, or JSON).
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("dead_lettered_at", DateTime(timezone=True), nullable=False, index=True),
    Column("archived_at", DateTime(timezone=True), nullable=False),
    # held → replayed | discarded, once.
    Column("status", String(10), nullable=False, index=True),
    Column("resolved_by", String(254)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("note", Text),
    # A redelivered dead letter is archived once.
    UniqueConstraint("queue", "message_id", "dead_lettered_at", name="uq_dead_letters_delivery"),
)

# Who did what to a dead letter, and when; the body before and after an edit.
dead_letter_audit = Table(
    "dead_letter_audit",
    reliability_metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("dead_letter_id", _Id, ForeignKey("dead_letters.id"), nullable=False, index=True),
    Column("action", String(10), nullable=False),  # replayed, discarded
    Column("staff", String(254), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("body_before", Text),
    Column("body_after", Text),
)



def first_tables() -> list[Table]:
    """What the first migration creates, in the shape it always had (on a
    MetaData of their own: the outbox has gained a column since)."""
    first = MetaData()
    return [Table("outbox_messages", first, *_outbox_columns()), processed_events.to_metadata(first)]


# What each migration helper creates (a later change is a new helper).
DEAD_LETTER_TABLES = (dead_letters, dead_letter_audit)
