"""New exam results waiting to be mailed together (identity/handlers/notices.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_notices",
        sa.Column("candidate_id", sa.String(20), sa.ForeignKey("candidates.candidate_id"), primary_key=True),
        sa.Column("exam_codes", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_result_notices_due_at", "result_notices", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_result_notices_due_at", table_name="result_notices")
    op.drop_table("result_notices")
