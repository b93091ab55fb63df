"""Certifications: candidates' facts, published standings, CE activities,
expert numbering, expiry reminders, the daily run, certification agreements
(version 1 of Cisco's and Juniper's seeded) and the dead-letter archive.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

from certtrack_shared.migrations import create_dead_letter_tables, drop_dead_letter_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)
SEEDED_AT = datetime(2026, 11, 23, tzinfo=timezone.utc)

CISCO_BODY = """\
This agreement applies to every Cisco certification you hold and to the certificates, logos and other materials CertTrack lets you download for them. Read it before your first download: accepting it confirms that you understand it and will keep to it.

Your certification. A Cisco certification is granted to you personally and stays the property of Cisco. It is valid only while it is active: from its active date until its expiration date, unless you recertify. An expired, revoked or suspended certification may not be presented as current.

Use of logos and certificates. You may use the logo of an active certification, unchanged, to show that you hold it: on your business card, your resume, your web site or your professional profile. You may not alter a logo, combine it with another mark, use it for a certification you do not hold or no longer hold, or use it in a way that suggests Cisco endorses you, your employer or a product. Certificates may not be altered or reproduced except to show that you hold the certification.

Verification. Every certificate carries a code and a QR code that lead to a public page showing the certification's live status. Anyone you give the code to can see your name, the certification and its status and dates there, and nothing else.

Revocation. Cisco may revoke a certification obtained through misconduct, through a result that is later withdrawn, or used in breach of this agreement; a revoked certification must no longer be used or presented, and its logos and certificates may no longer be displayed.

Changes. Cisco may update this agreement; when it does, you will be asked to accept the new version before your next download.
"""

JUNIPER_BODY = """\
This agreement covers every Juniper Networks Certification Program (JNCP) certification you hold and the certificates and logos you download for it. You must accept the current version before your first download.

Personal and valid while active. A JNCP certification is personal to you and remains the property of Juniper Networks. It is current from its active date to its expiration date; an expired certification must be earned again from the start of its track and may not be presented as current in the meantime.

Logos and certificates. You may display the logo of a certification you hold, unaltered, to show that you hold it. You may not modify logos or certificates, use them for a certification you do not hold, or use them to imply that Juniper Networks endorses you, your employer or any product or service.

Public verification. Each certificate carries a code and QR code linking to a public page that shows the certification's current status and dates together with your name.

Revocation. Juniper Networks may revoke certifications obtained through misconduct or through results that are later withdrawn, and certifications used in breach of this agreement.

Changes. Juniper Networks may revise this agreement. When a new version is published, CertTrack will ask you to accept it before your next download.
"""

SEED = [
    {"program": "cisco", "version": 1, "title": "Cisco Certification and Logo Agreement",
     "body": CISCO_BODY, "published_at": SEEDED_AT, "published_by": None},
    {"program": "juniper", "version": 1, "title": "Juniper Networks Certification Agreement",
     "body": JUNIPER_BODY, "published_at": SEEDED_AT, "published_by": None},
]


def upgrade() -> None:
    create_dead_letter_tables(op)
    op.create_table(
        "candidates",
        sa.Column("candidate_id", sa.String(20), primary_key=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("first_name", sa.String(200)),
        sa.Column("last_name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("profile_as_of", Stamp),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "sittings",
        sa.Column("id", Id, primary_key=True, autoincrement=False),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("exam_code", sa.String(40), nullable=False),
        sa.Column("exam_title", sa.String(300)),
        sa.Column("taken_at", Stamp),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("revoked_reason", sa.Text),
        sa.Column("result_as_of", Stamp),
        sa.Column("updated_at", Stamp, nullable=False),
    )
    op.create_table(
        "ce_activities",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("provider", sa.String(300), nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
        sa.Column("certification_id", sa.String(100)),
        sa.Column("credits", sa.Integer),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("reason", sa.Text),
        sa.Column("document_filename", sa.String(255), nullable=False),
        sa.Column("document_content_type", sa.String(60), nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("submitted_at", Stamp, nullable=False),
        sa.Column("reviewed_at", Stamp),
        sa.Column("reviewed_by", sa.String(254)),
    )
    op.create_table(
        "published_standings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("certification_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("started_on", sa.Date),
        sa.Column("active_on", sa.Date),
        sa.Column("expires_on", sa.Date, index=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("ever_achieved", sa.Boolean, nullable=False),
        sa.Column("certificate_code", sa.String(40), unique=True),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.UniqueConstraint("candidate_id", "certification_id"),
    )
    series = op.create_table(
        "expert_series",
        sa.Column("series", sa.String(10), primary_key=True),
        sa.Column("next_number", sa.Integer, nullable=False),
    )
    op.create_table(
        "expert_numbers",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("series", sa.String(10), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("certification_id", sa.String(100), nullable=False),
        sa.Column("assigned_at", Stamp, nullable=False),
        sa.UniqueConstraint("candidate_id", "series"),
        sa.UniqueConstraint("series", "number"),
    )
    op.create_table(
        "expiry_reminders",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("certification_id", sa.String(100), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("days_before", sa.Integer, nullable=False),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.UniqueConstraint("candidate_id", "certification_id", "expires_on", "days_before"),
    )
    op.create_table(
        "daily_runs",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("completed_at", Stamp, nullable=False),
        sa.Column("expired", sa.Integer, nullable=False),
        sa.Column("reminders", sa.Integer, nullable=False),
    )
    op.create_table(
        "pending_mails",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False, index=True),
        sa.Column("template", sa.String(60), nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
    )
    agreements = op.create_table(
        "certification_agreements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_at", Stamp, nullable=False),
        sa.Column("published_by", sa.String(254)),
        sa.UniqueConstraint("program", "version"),
    )
    op.create_table(
        "certification_agreement_acceptances",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("accepted_at", Stamp, nullable=False),
        sa.UniqueConstraint("candidate_id", "program", "version"),
        sa.ForeignKeyConstraint(
            ["program", "version"],
            ["certification_agreements.program", "certification_agreements.version"]),
    )
    # Numbering starts at 1 in a fresh deployment; an operator bringing an
    # existing program's numbers sets next_number above the highest issued.
    op.bulk_insert(series, [{"series": "CCIE", "next_number": 1}, {"series": "CCDE", "next_number": 1}])
    op.bulk_insert(agreements, SEED)


def downgrade() -> None:
    for table in ("certification_agreement_acceptances", "certification_agreements", "pending_mails",
                  "daily_runs", "expiry_reminders", "expert_numbers", "expert_series",
                  "published_standings", "ce_activities", "sittings", "candidates"):
        op.drop_table(table)
    drop_dead_letter_tables(op)
