"""The dead-letter archive of identity's consuming queues (certtrack_shared/deadletters/).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op

from certtrack_shared.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letter_tables(op)


def downgrade() -> None:
    drop_dead_letter_tables(op)
