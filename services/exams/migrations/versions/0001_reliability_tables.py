"""The outbox and the processed-events record.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op

from certtrack_shared.migrations import create_reliability_tables, drop_reliability_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_reliability_tables(op)


def downgrade() -> None:
    drop_reliability_tables(op)
