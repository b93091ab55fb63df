"""Who published each exam agreement version (staff audit).

The versions seeded by 0003 were published by CertTrack itself, not by a
staff member: they say so.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEEDED_BY = "CertTrack"


def upgrade() -> None:
    op.add_column("exam_agreements", sa.Column("published_by", sa.String(254), nullable=True))
    op.execute(sa.text("UPDATE exam_agreements SET published_by = :by").bindparams(by=SEEDED_BY))
    with op.batch_alter_table("exam_agreements") as table:
        table.alter_column("published_by", existing_type=sa.String(254), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("exam_agreements") as table:
        table.drop_column("published_by")
