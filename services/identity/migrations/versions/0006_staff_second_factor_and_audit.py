"""Staff second factor (TOTP secret, last accepted step, one-time recovery
codes) and the staff audit (docs/decisions/0019-staff-second-factor.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("staff_users", sa.Column("totp_secret", sa.String(64), nullable=True))
    op.add_column("staff_users", sa.Column("totp_pending_secret", sa.String(64), nullable=True))
    op.add_column("staff_users", sa.Column("totp_enrolled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_recovery_codes_staff_id", "staff_recovery_codes", ["staff_id"])
    op.create_table(
        "staff_audit",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_users.id"), nullable=False),
        sa.Column("staff_email", sa.String(254), nullable=False),
        sa.Column("area", sa.String(40), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=True),
    )
    for column in ("recorded_at", "staff_id", "area", "action", "target"):
        op.create_index(f"ix_staff_audit_{column}", "staff_audit", [column])


def downgrade() -> None:
    for column in ("recorded_at", "staff_id", "area", "action", "target"):
        op.drop_index(f"ix_staff_audit_{column}", table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_index("ix_staff_recovery_codes_staff_id", table_name="staff_recovery_codes")
    op.drop_table("staff_recovery_codes")
    for column in ("totp_last_step", "totp_enrolled_at", "totp_pending_secret", "totp_secret"):
        op.drop_column("staff_users", column)
