"""Dead letters, projections, entitlements, orders and the local processor's ledger.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

from certtrack_shared.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_dead_letter_tables(op)
    op.create_table(
        "candidates",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "certifications",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("certification_id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("kit", sa.JSON, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "entitlements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("certification_id", sa.String(80), nullable=False),
        sa.Column("certification_name", sa.String(300), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("granted_at", Stamp, nullable=False),
        sa.Column("granted_by_event", sa.String(200), nullable=False),
        sa.Column("congratulated_at", Stamp),
        sa.Column("order_id", sa.String(20)),
        sa.UniqueConstraint("candidate_id", "certification_id"),
    )
    op.create_table(
        "order_numbers",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("order_id", sa.String(20), primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("ship_to", sa.JSON, nullable=False),
        sa.Column("shipping_method", sa.String(20), nullable=False),
        sa.Column("shipping_fee_cents", sa.Integer, nullable=False),
        sa.Column("items_total_cents", sa.Integer, nullable=False),
        sa.Column("total_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("card_brand", sa.String(20)),
        sa.Column("card_last4", sa.String(4)),
        sa.Column("payment_reference", sa.String(100)),
        sa.Column("refunded_cents", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refund_reference", sa.String(100)),
        sa.Column("carrier", sa.String(60)),
        sa.Column("tracking_number", sa.String(100)),
        sa.Column("placed_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.UniqueConstraint("candidate_id", "idempotency_key"),
    )
    op.create_table(
        "order_lines",
        sa.Column("id", Id, primary_key=True),
        sa.Column("order_id", sa.String(20), sa.ForeignKey("orders.order_id"), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("certification_id", sa.String(80), nullable=False),
        sa.Column("sku", sa.String(60), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price_cents", sa.Integer, nullable=False),
    )
    op.create_table(
        "order_status_changes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("order_id", sa.String(20), sa.ForeignKey("orders.order_id"), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("occurred_at", Stamp, nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("applied", sa.Boolean, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("event_id", sa.String(200)),
    )
    op.create_table(
        "processor_charges",
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("brand", sa.String(20), nullable=False),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("refunded_cents", sa.Integer, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    op.create_table(
        "processor_refunds",
        sa.Column("reference", sa.String(100), primary_key=True),
        sa.Column("charge_reference", sa.String(100), sa.ForeignKey("processor_charges.reference"),
                  nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )


def downgrade() -> None:
    for table in ("processor_refunds", "processor_charges", "order_status_changes", "order_lines",
                  "orders", "order_numbers", "entitlements", "certifications", "candidates"):
        op.drop_table(table)
    drop_dead_letter_tables(op)
