"""A candidate's credential version: bumped by every change of how they log in
(password set, reset or changed, email changed, single sign-on linked or
unlinked), so every session and token issued before it ends
(docs/decisions/0018-account-security.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("candidates", sa.Column("credential_version", sa.Integer(), nullable=False,
                                          server_default="0"))


def downgrade() -> None:
    op.drop_column("candidates", "credential_version")
