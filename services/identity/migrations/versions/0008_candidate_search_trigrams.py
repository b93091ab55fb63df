"""The staff console's candidate search served by a trigram index, not a read
of every candidate (docs/decisions/0035-flat-cost-as-data-grows.md).

The search (identity/handlers/staff.py) is "contains" on the ID, the email and
both orders of the name: `ILIKE '%text%'`, which no B-tree serves. With a
million candidates it read the whole table on every search. A GIN index of
pg_trgm's trigrams serves each of the four conditions, and the planner ORs
their bitmaps. Built CONCURRENTLY: on a database already holding the history,
a plain build would hold every candidate write for as long as it takes.

PostgreSQL only (SQLite, for a quick local run, has no trigrams: it keeps
reading the table). pg_trgm is a trusted extension: the database's owner,
who runs the migrations, may create it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Each expression exactly as the search writes it, so the planner matches it.
SEARCHED = ("candidate_id", "email", "(first_name || ' ' || last_name)", "(last_name || ' ' || first_name)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_candidates_search ON candidates USING gin ("
                   + ", ".join(f"{expression} gin_trgm_ops" for expression in SEARCHED) + ")")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_candidates_search")
