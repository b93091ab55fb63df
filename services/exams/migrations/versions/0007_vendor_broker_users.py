"""Testing vendors' broker users and what each may publish (CONTRACTS.md §7,
docs/decisions/0016-broker-identities.md), with their audit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vendor_broker_users",
        sa.Column("broker_user", sa.String(120), primary_key=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("programs", sa.JSON, nullable=False),
        sa.Column("registered_by", sa.String(254), nullable=False),
        sa.Column("registered_at", Stamp, nullable=False),
        sa.Column("removed_by", sa.String(254)),
        sa.Column("removed_at", Stamp),
    )
    op.create_table(
        "vendor_broker_user_audit",
        sa.Column("id", Id, primary_key=True),
        sa.Column("broker_user", sa.String(120), nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("vendor", sa.String(60)),
        sa.Column("programs", sa.JSON),
        sa.Column("staff", sa.String(254), nullable=False),
        sa.Column("at", Stamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vendor_broker_user_audit")
    op.drop_table("vendor_broker_users")
