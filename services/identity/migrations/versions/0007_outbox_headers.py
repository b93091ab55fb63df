"""The outbox keeps each message's headers (its correlation id and trace
context), and a waiting result notice the correlation ids of the results it
will announce, so that its mail, sent later by a timer, is found with them
(certtrack_shared/tracing, docs/decisions/0033-correlation-and-traces.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

from certtrack_shared.migrations import add_outbox_headers, drop_outbox_headers

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_headers(op)
    op.add_column("result_notices", sa.Column("correlation_ids", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("result_notices") as batch:
        batch.drop_column("correlation_ids")
    drop_outbox_headers(op)
