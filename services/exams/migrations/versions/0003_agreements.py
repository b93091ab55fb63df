"""Exam agreements (versioned per program) and candidates' acceptances.

Version 1 of the Cisco and Juniper agreements is seeded here; later versions
are published by staff (exams RPC `publish_exam_agreement`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)
SEEDED_AT = datetime(2026, 11, 24, tzinfo=timezone.utc)

CISCO_BODY = """\
This agreement applies to every Cisco certification exam you take, at a test center or online. Read it before you sit an exam: by accepting it you confirm that you understand it and will keep to it. Taking an exam without accepting the current version is not possible.

Exam confidentiality. Every exam is the confidential property of Cisco. You may not disclose, publish, reproduce or transmit any part of an exam, its questions or its answers, in any form or by any means, verbally or in writing, for any purpose. This includes posting on forums or social media, sharing "recall" notes and using or selling unauthorized study material ("brain dumps") that claims to contain real exam content.

Conduct. You will take the exam yourself, without help from anyone and without notes, devices or materials other than those the test center or the online proctor allows. You will show valid, government-issued identification and follow the proctor's instructions. Attempting to take an exam for someone else, letting someone take it for you, or tampering with the testing software or environment is misconduct.

Consequences of misconduct. If Cisco concludes, from the proctor's report, a statistical analysis of your answers or any other evidence, that you broke this agreement, it may withhold or revoke your exam results and any certification that depends on them, and may bar you from taking Cisco exams in the future. A revoked result stays in your testing history, marked as revoked with the reason.

Score reporting. Your score and result are reported to you by the testing vendor at the end of the exam and appear in your CertTrack testing history once the vendor sends them, normally within two business days. Scores are final once reported, except where Cisco corrects a scoring error or revokes a result as described above; either is shown in your history. Cisco does not disclose individual questions or answers, and does not rescore exams on request.

Retakes and policies. You may retake an exam only as the current Cisco exam retake policy allows. Cisco may update this agreement; when it does, you will be asked to read and accept the new version before your next exam.
"""

JUNIPER_BODY = """\
This agreement covers every Juniper Networks Certification Program (JNCP) exam, whether delivered at a test center or online. You must accept the current version before you sit an exam; accepting it means you have read it, understand it and agree to follow it.

Confidentiality of exam content. Juniper Networks exams and every question and answer in them are confidential and protected by copyright. You agree not to copy, record, memorize for the purpose of sharing, discuss, publish or otherwise disclose any exam content, and not to use or distribute material that contains actual exam questions. This obligation continues after you have passed or failed the exam.

Your conduct during the exam. You will take the exam on your own, identify yourself with valid, government-issued photo identification, and use only what the test center or the online proctor permits. Impersonation, collusion, the use of unauthorized aids, and any attempt to capture or remove exam content are violations of this agreement.

What happens after a violation. Juniper Networks may cancel or revoke exam results obtained in breach of this agreement, revoke certifications that depend on them, and suspend or permanently prohibit you from participating in the JNCP. Revoked results remain visible in your testing history together with the reason for the revocation.

How scores are reported. You receive your result from the testing vendor when you finish the exam. CertTrack shows your score, the passing score and the result in your testing history as soon as the vendor reports them. A reported score is final unless Juniper Networks corrects a scoring error or revokes the result; any such change appears in your history.

Changes to this agreement. Juniper Networks may revise this agreement from time to time. When a new version is published, CertTrack will ask you to read and accept it again.
"""

SEED = [
    {"program": "cisco", "version": 1, "title": "Cisco Certification Exam Agreement",
     "body": CISCO_BODY, "published_at": SEEDED_AT},
    {"program": "juniper", "version": 1, "title": "Juniper Networks Certification Program Exam Agreement",
     "body": JUNIPER_BODY, "published_at": SEEDED_AT},
]


def upgrade() -> None:
    agreements = op.create_table(
        "exam_agreements",
        sa.Column("id", Id, primary_key=True),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_at", Stamp, nullable=False),
        sa.UniqueConstraint("program", "version"),
    )
    op.create_table(
        "agreement_acceptances",
        sa.Column("id", Id, primary_key=True),
        sa.Column("candidate_id", sa.String(20), nullable=False),
        sa.Column("program", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("accepted_at", Stamp, nullable=False),
        sa.UniqueConstraint("candidate_id", "program", "version"),
        sa.ForeignKeyConstraint(
            ["program", "version"], ["exam_agreements.program", "exam_agreements.version"]),
    )
    op.bulk_insert(agreements, SEED)


def downgrade() -> None:
    for table in ("agreement_acceptances", "exam_agreements"):
        op.drop_table(table)
