"""Identity tables: candidates, counters, registrations, external identities,
link tokens, rate-limit records, staff users and support tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

# Every program of identity/handlers/programs.py at the time of this migration; a
# program added later gets its counter row on first use.
PROGRAMS = ("cisco", "juniper")
FIRST_NUMBER = 10000001


def upgrade() -> None:
    op.create_table(
        "candidates",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("program", sa.String(40), nullable=False),
        sa.Column("first_name", sa.String(120), nullable=False),
        sa.Column("last_name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(40)),
        sa.Column("address_line1", sa.String(200)),
        sa.Column("address_line2", sa.String(200)),
        sa.Column("city", sa.String(120)),
        sa.Column("region", sa.String(120)),
        sa.Column("postal_code", sa.String(30)),
        sa.Column("country", sa.String(2)),
        sa.Column("company", sa.String(200)),
        sa.Column("job_title", sa.String(200)),
        sa.Column("preferred_language", sa.String(10)),
        sa.Column("netacad_id", sa.String(60)),
        sa.Column("ccie_number", sa.String(20)),
        sa.Column("ccde_number", sa.String(20)),
        sa.Column("pending_email", sa.String(254)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("password_changed_at", Timestamp),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.UniqueConstraint("program", "email", name="uq_candidates_program_email"),
    )
    op.create_index("ix_candidates_program", "candidates", ["program"])
    op.create_index("ix_candidates_email", "candidates", ["email"])

    counters = op.create_table(
        "candidate_id_counters",
        sa.Column("program", sa.String(40), primary_key=True),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counters, [{"program": p, "next_number": FIRST_NUMBER} for p in PROGRAMS])

    op.create_table(
        "registrations",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("vendor", sa.String(60), nullable=False),
        sa.Column("registration_number", sa.String(60), nullable=False),
        sa.Column(
            "candidate_id", sa.String(20), sa.ForeignKey("candidates.candidate_id"), nullable=False
        ),
        sa.Column("last_name", sa.String(120), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.UniqueConstraint("vendor", "registration_number", name="uq_registrations_vendor_number"),
    )
    op.create_index("ix_registrations_registration_number", "registrations", ["registration_number"])
    op.create_index("ix_registrations_candidate_id", "registrations", ["candidate_id"])

    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "candidate_id", sa.String(20), sa.ForeignKey("candidates.candidate_id"), nullable=False
        ),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("linked_at", Timestamp, nullable=False),
        sa.UniqueConstraint("issuer", "subject", name="uq_external_identities_issuer_subject"),
    )
    op.create_index("ix_external_identities_candidate_id", "external_identities", ["candidate_id"])

    op.create_table(
        "link_tokens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column(
            "candidate_id", sa.String(20), sa.ForeignKey("candidates.candidate_id"), nullable=False
        ),
        sa.Column("email", sa.String(254)),
        sa.Column("external_issuer", sa.String(500)),
        sa.Column("external_subject", sa.String(255)),
        sa.Column("external_email", sa.String(254)),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("used_at", Timestamp),
    )
    op.create_index("ix_link_tokens_candidate_id", "link_tokens", ["candidate_id"])

    op.create_table(
        "login_failures",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("account", sa.String(300), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("failed_at", Timestamp, nullable=False),
    )
    op.create_index("ix_login_failures_account", "login_failures", ["account"])
    op.create_index("ix_login_failures_client_address", "login_failures", ["client_address"])
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])

    op.create_table(
        "mail_requests",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("requested_at", Timestamp, nullable=False),
    )
    op.create_index("ix_mail_requests_address", "mail_requests", ["address"])
    op.create_index("ix_mail_requests_requested_at", "mail_requests", ["requested_at"])

    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )

    op.create_table(
        "support_tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "candidate_id", sa.String(20), sa.ForeignKey("candidates.candidate_id"), nullable=False
        ),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_first_name", sa.String(120)),
        sa.Column("requested_last_name", sa.String(120)),
        sa.Column("reason", sa.Text()),
        sa.Column("document_key", sa.String(100)),
        sa.Column("document_filename", sa.String(255)),
        sa.Column("document_content_type", sa.String(50)),
        sa.Column("decision_reason", sa.Text()),
        sa.Column("decided_by", sa.Integer(), sa.ForeignKey("staff_users.id")),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("decided_at", Timestamp),
    )
    op.create_index("ix_support_tickets_candidate_id", "support_tickets", ["candidate_id"])
    op.create_index("ix_support_tickets_status", "support_tickets", ["status"])


def downgrade() -> None:
    for table in (
        "support_tickets", "staff_users", "mail_requests", "login_failures", "link_tokens",
        "external_identities", "registrations", "candidate_id_counters", "candidates",
    ):
        op.drop_table(table)
