"""Payment declines: what the card-testing limit counts and staff review.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_declines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("declined_at", Stamp, nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("brand", sa.String(20)),
        sa.Column("last4", sa.String(4)),
    )
    op.create_index("ix_payment_declines_declined_at", "payment_declines", ["declined_at"])
    # The limit's two questions: this candidate's, and this address's, declines of the last hour.
    op.create_index("ix_payment_declines_candidate", "payment_declines", ["candidate_id", "declined_at"])
    op.create_index("ix_payment_declines_address", "payment_declines", ["client_address", "declined_at"])


def downgrade() -> None:
    op.drop_table("payment_declines")
