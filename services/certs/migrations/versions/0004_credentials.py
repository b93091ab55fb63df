"""Digital badges: every Open Badges credential issued (its signed token, its
validity period, its place in a revocation list) and each program's numbered
status lists (docs/decisions/0024-open-badges-credentials.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "credential_status_lists",
        sa.Column("program", sa.String(60), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("allocated", sa.Integer, nullable=False),
        sa.Column("token", sa.Text),
        sa.Column("published_at", Stamp),
        sa.Column("valid_until", Stamp),
    )
    op.create_table(
        "issued_credentials",
        sa.Column("credential_id", sa.String(36), primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("certification_id", sa.String(100), nullable=False),
        sa.Column("active_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date),
        sa.Column("status_list", sa.Integer, nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("token", sa.Text, nullable=False),
        sa.Column("issued_at", Stamp, nullable=False),
        sa.Column("revoked_at", Stamp),
        sa.UniqueConstraint("program", "status_list", "status_index", name="uq_issued_credentials_status"),
    )
    op.create_index("ix_issued_credentials_candidate", "issued_credentials", ["candidate_id", "certification_id"])


def downgrade():
    op.drop_index("ix_issued_credentials_candidate", table_name="issued_credentials")
    op.drop_table("issued_credentials")
    op.drop_table("credential_status_lists")
