"""The outbox and the processed-events record: every service's first migration.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

One file for all five services: `certtrack_shared.migrations.alembic_config`
(and each service's alembic.ini) lists this folder among the service's
version locations, so each service's history starts here and its `0002`
revises `0001` as before. The revision id stays "0001", so a database
migrated when each service still had its own copy upgrades on unchanged.

Only the outbox and the processed events: the reliability metadata has grown
since (dead letters, created by a later migration of each consuming service),
and a first migration must create what it always created.
"""
from alembic import op

from certtrack_shared.tables import first_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables = first_tables()
    tables[0].metadata.create_all(op.get_bind(), tables=tables)


def downgrade() -> None:
    tables = first_tables()
    tables[0].metadata.drop_all(op.get_bind(), tables=tables)
