"""Tables owned by the identity service.

Types are server-agnostic (PostgreSQL in production and tests, SQLite for a
quick local run). Emails are stored lower-cased. Timestamps are always
timezone-aware UTC on the Python side (`UtcDateTime`), whatever the server.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    JSON,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# BigInteger ids autoincrement on PostgreSQL; SQLite only autoincrements INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """A timestamp that is always aware UTC in Python (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class Candidate(Base):
    """A candidate. Besides the indexes declared here, PostgreSQL has
    `ix_candidates_search`, a GIN index of the trigrams of the ID, email and both
    orders of the name for the staff console's "contains" search (migration 0008;
    an index of expressions with an operator class, which only that migration makes)."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("program", "email", name="uq_candidates_program_email"),)

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    program: Mapped[str] = mapped_column(String(40), index=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    address_line1: Mapped[Optional[str]] = mapped_column(String(200))
    address_line2: Mapped[Optional[str]] = mapped_column(String(200))
    city: Mapped[Optional[str]] = mapped_column(String(120))
    region: Mapped[Optional[str]] = mapped_column(String(120))
    postal_code: Mapped[Optional[str]] = mapped_column(String(30))
    country: Mapped[Optional[str]] = mapped_column(String(2))
    company: Mapped[Optional[str]] = mapped_column(String(200))
    job_title: Mapped[Optional[str]] = mapped_column(String(200))
    preferred_language: Mapped[Optional[str]] = mapped_column(String(10))
    netacad_id: Mapped[Optional[str]] = mapped_column(String(60))
    ccie_number: Mapped[Optional[str]] = mapped_column(String(20))
    ccde_number: Mapped[Optional[str]] = mapped_column(String(20))
    # A new email waiting for its confirmation link to be followed.
    pending_email: Mapped[Optional[str]] = mapped_column(String(254))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    password_changed_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime)
    # Bumped by every change of how the candidate logs in: sessions and tokens
    # carry the version they were issued at and end when it moves on.
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "vendor" (created from a vendor report) or "staff".
    source: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CandidateIdCounter(Base):
    """The next candidate number of a program; locked FOR UPDATE to allocate."""

    __tablename__ = "candidate_id_counters"

    program: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_number: Mapped[int] = mapped_column(BigInteger)


class Registration(Base):
    """A vendor registration number and the candidate it belongs to."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("vendor", "registration_number", name="uq_registrations_vendor_number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vendor: Mapped[str] = mapped_column(String(60))
    registration_number: Mapped[str] = mapped_column(String(60), index=True)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.candidate_id"), index=True
    )
    # The last name as the vendor reported it (matched by score-report login).
    last_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExternalIdentity(Base):
    """An SSO identity `(issuer, subject)` mapped to a candidate."""

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_external_identities_issuer_subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.candidate_id"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LinkToken(Base):
    """A mailed single-use link; only the SHA-256 of the token is kept."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "first_time", "password_reset" or "email_confirmation".
    purpose: Mapped[str] = mapped_column(String(30))
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.candidate_id"), index=True
    )
    # Email confirmation: the address being confirmed.
    email: Mapped[Optional[str]] = mapped_column(String(254))
    # First-time login from SSO: the external identity to map on completion.
    external_issuer: Mapped[Optional[str]] = mapped_column(String(500))
    external_subject: Mapped[Optional[str]] = mapped_column(String(255))
    external_email: Mapped[Optional[str]] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime)


class LoginFailure(Base):
    """One failed login, counted per account and per client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # "candidate" or "staff".
    scope: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(300), index=True)
    client_address: Mapped[str] = mapped_column(String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class MailRequest(Base):
    """A mail-sending request (first-time, forgot password/ID) per address."""

    __tablename__ = "mail_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ResultNotice(Base):
    """New exam results waiting to be mailed to their candidate in one mail
    (handlers/notices.py): one row per candidate, gone once mailed."""

    __tablename__ = "result_notices"

    candidate_id: Mapped[str] = mapped_column(ForeignKey("candidates.candidate_id"), primary_key=True)
    exam_codes: Mapped[list] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # The correlation ids of the results it announces (certtrack_shared/tracing):
    # the mail goes out later, from a timer, and is still found by them.
    correlation_ids: Mapped[list | None] = mapped_column(JSON, nullable=True)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # "admin" or "support".
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The second factor (handlers/second_factor.py): the TOTP secret once a code
    # confirmed it, the one offered at enrolment until then, and the last time
    # step a code was accepted for (a code is never accepted twice).
    totp_secret: Mapped[Optional[str]] = mapped_column(String(64))
    totp_pending_secret: Mapped[Optional[str]] = mapped_column(String(64))
    totp_enrolled_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime)
    totp_last_step: Mapped[Optional[int]] = mapped_column(BigInteger)


class StaffRecoveryCode(Base):
    """A one-time recovery code of a staff member's second factor (only its SHA-256)."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime)


class StaffAuditEntry(Base):
    """One staff write in the console: who, what (area, action, target, short
    details, never a secret) and when (handlers/staff_audit.py)."""

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    staff_email: Mapped[str] = mapped_column(String(254))
    area: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), index=True)
    details: Mapped[dict] = mapped_column(JSON)
    client_address: Mapped[Optional[str]] = mapped_column(String(64))


class SupportTicket(Base):
    """A candidate's request staff decide on (for now: a name change)."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.candidate_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    # "open", "approved" or "rejected".
    status: Mapped[str] = mapped_column(String(10), index=True)
    requested_first_name: Mapped[Optional[str]] = mapped_column(String(120))
    requested_last_name: Mapped[Optional[str]] = mapped_column(String(120))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    # Where the document store keeps the ID scan; cleared once deleted.
    document_key: Mapped[Optional[str]] = mapped_column(String(100))
    document_filename: Mapped[Optional[str]] = mapped_column(String(255))
    document_content_type: Mapped[Optional[str]] = mapped_column(String(50))
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime)
