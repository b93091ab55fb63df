"""The verification projection, transcripts, views, access failures, mails, dead letters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

from certtrack_shared.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_dead_letter_tables(op)
    op.create_table(
        "candidates",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("as_of", Stamp, nullable=False),
    )
    op.create_table(
        "certifications",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("certification_id", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_on", sa.Date),
        sa.Column("active_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.create_table(
        "sittings",
        sa.Column("sitting_id", Id, primary_key=True, autoincrement=False),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("exam_code", sa.String(40), nullable=False),
        sa.Column("exam_title", sa.String(300), nullable=False),
        sa.Column("taken_at", Stamp, nullable=False),
        sa.Column("result", sa.String(4), nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("as_of", Stamp, nullable=False),
    )
    op.create_index("ix_sittings_candidate", "sittings", ["candidate_id"])
    op.create_table(
        "transcripts",
        sa.Column("id", Id, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("access_code_hash", sa.String(64), nullable=False),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("valid_through", sa.Date, nullable=False),
        sa.Column("certifications", sa.JSON, nullable=False),
        sa.Column("include_expired", sa.Boolean, nullable=False),
        sa.Column("include_exams", sa.Boolean, nullable=False),
        sa.Column("show_email", sa.Boolean, nullable=False),
        sa.Column("remarks", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("deactivated_at", Stamp),
    )
    op.create_index("ix_transcripts_candidate", "transcripts", ["candidate_id"])
    op.create_table(
        "transcript_views",
        sa.Column("id", Id, primary_key=True),
        # No foreign key on purpose (transcripts/models.py, TranscriptView).
        sa.Column("transcript_id", Id, nullable=False),
        sa.Column("viewed_at", Stamp, nullable=False),
    )
    op.create_index("ix_transcript_views_transcript", "transcript_views", ["transcript_id", "viewed_at"])
    op.create_table(
        "access_failures",
        sa.Column("id", Id, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("failed_at", Stamp, nullable=False),
    )
    op.create_index("ix_access_failures_code", "access_failures", ["code", "failed_at"])
    op.create_index("ix_access_failures_client", "access_failures", ["client_address", "failed_at"])
    op.create_table(
        "transcript_mails",
        sa.Column("id", Id, primary_key=True),
        sa.Column("transcript_id", Id, sa.ForeignKey("transcripts.id"), nullable=False),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("sent_at", Stamp, nullable=False),
    )
    op.create_index("ix_transcript_mails_candidate", "transcript_mails", ["candidate_id", "sent_at"])


def downgrade() -> None:
    for table in ("transcript_mails", "access_failures", "transcript_views", "transcripts",
                  "sittings", "certifications", "candidates"):
        op.drop_table(table)
    drop_dead_letter_tables(op)
