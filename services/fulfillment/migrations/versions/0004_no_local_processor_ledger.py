"""The local payment processor's ledger leaves the fulfillment database.

Cards now go from the browser to the payment processor (the project's sandbox
by default, deploy/payment_sandbox), which keeps its own ledger; fulfillment
keeps only the processor's references, brand and last four on each order
(docs/decisions/0017-card-data-never-reaches-certtrack.md). The rows were
test-card charges of development runs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("processor_refunds")
    op.drop_table("processor_charges")


def downgrade() -> None:
    # The ledger as revision 0002 made it, empty.
    op.create_table("processor_charges", *_keys(), sa.Column("amount_cents", sa.Integer, nullable=False),
                    sa.Column("currency", sa.String(3), nullable=False),
                    sa.Column("brand", sa.String(20), nullable=False), sa.Column("last4", sa.String(4), nullable=False),
                    sa.Column("refunded_cents", sa.Integer, nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table("processor_refunds", *_keys(),
                    sa.Column("charge_reference", sa.String(100), sa.ForeignKey("processor_charges.reference"),
                              nullable=False),
                    sa.Column("amount_cents", sa.Integer, nullable=False),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))


def _keys() -> tuple[sa.Column, sa.Column]:
    return (sa.Column("reference", sa.String(100), primary_key=True),
            sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True))
