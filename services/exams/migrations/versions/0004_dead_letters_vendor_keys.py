"""The dead-letter archive (certtrack_shared/deadletters/) and vendor API keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

from certtrack_shared.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_dead_letter_tables(op)
    op.create_table(
        "vendor_api_keys",
        sa.Column("id", Id, primary_key=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("key_prefix", sa.String(8), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("revoked_by", sa.String(254)),
        sa.Column("revoked_at", Stamp),
        sa.Column("last_used_at", Stamp),
    )


def downgrade() -> None:
    op.drop_table("vendor_api_keys")
    drop_dead_letter_tables(op)
