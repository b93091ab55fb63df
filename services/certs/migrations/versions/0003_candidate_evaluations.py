"""Candidate evaluations: each candidate's standing in every certification of
their program, as last evaluated (decision 0021). What the candidate's pages,
downloads and certificate verification read, written with the published
standings and the announcements of the same evaluation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "candidate_evaluations",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False, index=True),
        sa.Column("evaluation", sa.JSON, nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("candidate_evaluations")
