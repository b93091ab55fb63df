"""Vendor keys scoped to programs and expiring; the audit of what was done to each
(docs/decisions/0013-vendor-key-scope.md).

A key made before this had no scope: it was accepted for every program. It keeps
every program of the day (those of the catalog at the time of this migration)
and expires 90 days after the migration, so its vendor can change to a scoped
key without an outage. The audit starts with each existing key's creation and
revocation, as the key's row recorded them, and with this scoping.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)

LEGACY_PROGRAMS = ["cisco", "juniper"]
LEGACY_LIFETIME = timedelta(days=90)
MIGRATED_BY = "CertTrack (migration 0006)"


def upgrade() -> None:
    op.create_table(
        "vendor_key_audit",
        sa.Column("id", Id, primary_key=True),
        sa.Column("key_id", Id, sa.ForeignKey("vendor_api_keys.id"), nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("staff", sa.String(254), nullable=False),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("programs", sa.JSON),
        sa.Column("expires_at", Stamp),
    )
    op.add_column("vendor_api_keys", sa.Column("programs", sa.JSON, nullable=True))
    op.add_column("vendor_api_keys", sa.Column("expires_at", Stamp, nullable=True))

    now = datetime.now(timezone.utc)
    keys = sa.table("vendor_api_keys", sa.column("programs", sa.JSON), sa.column("expires_at", Stamp))
    op.execute(keys.update().values(programs=LEGACY_PROGRAMS, expires_at=now + LEGACY_LIFETIME))
    op.execute(
        "INSERT INTO vendor_key_audit (key_id, action, staff, at)"
        " SELECT id, 'created', created_by, created_at FROM vendor_api_keys ORDER BY id")
    op.execute(
        "INSERT INTO vendor_key_audit (key_id, action, staff, at)"
        " SELECT id, 'revoked', revoked_by, revoked_at FROM vendor_api_keys"
        " WHERE revoked_at IS NOT NULL ORDER BY id")
    op.execute(sa.text(
        "INSERT INTO vendor_key_audit (key_id, action, staff, at, programs, expires_at)"
        " SELECT id, 'scoped', :by, :at, programs, expires_at FROM vendor_api_keys ORDER BY id",
    ).bindparams(by=MIGRATED_BY, at=now))

    with op.batch_alter_table("vendor_api_keys") as table:
        table.alter_column("programs", existing_type=sa.JSON, nullable=False)
        table.alter_column("expires_at", existing_type=Stamp, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("vendor_api_keys") as table:
        table.drop_column("expires_at")
        table.drop_column("programs")
    op.drop_table("vendor_key_audit")
