"""Registrations, sittings and their history, pending revocations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("registration_number", sa.String(60), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("exam_code", sa.String(40)),
        sa.Column("exam_title", sa.String(300)),
        sa.Column("scheduled_at", Stamp),
        sa.Column("reported_candidate", sa.JSON, nullable=False),
        sa.Column("candidate_id", sa.String(20), index=True),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.UniqueConstraint("vendor", "registration_number"),
    )
    op.create_table(
        "sittings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("registration_number", sa.String(60), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("candidate_id", sa.String(20), index=True),
        sa.Column("exam_code", sa.String(40), nullable=False),
        sa.Column("exam_title", sa.String(300), nullable=False),
        sa.Column("taken_at", Stamp, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("passing_score", sa.Integer, nullable=False),
        sa.Column("result", sa.String(4), nullable=False),
        sa.Column("test_center_id", sa.String(60), nullable=False),
        sa.Column("test_center_name", sa.String(300), nullable=False),
        sa.Column("test_center_country", sa.String(2), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("revoked_reason", sa.Text),
        sa.Column("revoked_at", Stamp),
        sa.Column("corrections", sa.Integer, nullable=False, server_default="0"),
        sa.Column("recorded_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.UniqueConstraint("vendor", "registration_number"),
    )
    op.create_table(
        "sitting_changes",
        sa.Column("id", Id, primary_key=True),
        sa.Column("sitting_id", Id, sa.ForeignKey("sittings.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("recorded_at", Stamp, nullable=False),
    )
    op.create_table(
        "pending_revocations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("registration_number", sa.String(60), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("revoked_at", Stamp, nullable=False),
        sa.UniqueConstraint("vendor", "registration_number"),
    )


def downgrade() -> None:
    for table in ("pending_revocations", "sitting_changes", "sittings", "registrations"):
        op.drop_table(table)
