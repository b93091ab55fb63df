"""The outbox keeps each message's headers: its correlation id and trace
context (certtrack_shared/tracing, docs/decisions/0033-correlation-and-traces.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from alembic import op

from certtrack_shared.migrations import add_outbox_headers, drop_outbox_headers

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_headers(op)


def downgrade() -> None:
    drop_outbox_headers(op)
