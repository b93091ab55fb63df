"""Tables owned by the certs service (docs/decisions/0005-certifications-service.md).

Facts (what other services and staff told us) are stored, and so is what
the last evaluation of a candidate made of them (decision 0021): the
*published* standing per (candidate, certification), which the next
evaluation is diffed against to decide which events to publish, and the
whole evaluation beside it (`CandidateEvaluation`), which the candidate's
pages read. Both are written by one evaluation in one transaction, so what
a candidate sees is what was announced.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Index, Integer, LargeBinary, String,
    Text, UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from certtrack_shared.agreements import AcceptanceColumns, AgreementColumns

Id = BigInteger().with_variant(Integer(), "sqlite")
Stamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    pass


class Candidate(Base):
    """Who a candidate is, as identity last told us (for documents and mail).

    A row may exist before identity's event arrives (a sitting came first):
    names and email are then unknown and mails wait in `pending_mails`.
    """

    __tablename__ = "candidates"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    program: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[Optional[str]] = mapped_column(String(200))
    last_name: Mapped[Optional[str]] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(320))
    # The last identity event applied (events of two queues may arrive out of order).
    profile_as_of: Mapped[Optional[datetime]] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.candidate_id


class SittingRecord(Base):
    """A sitting as exams announced it; `id` is exams' sitting id."""

    __tablename__ = "sittings"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    program: Mapped[str] = mapped_column(String(60))
    exam_code: Mapped[str] = mapped_column(String(40))
    exam_title: Mapped[Optional[str]] = mapped_column(String(300))
    taken_at: Mapped[Optional[datetime]] = mapped_column(Stamp)  # None: only its revocation is known
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)
    # occurred_at of the result event applied: an older pass/fail arriving late is ignored.
    result_as_of: Mapped[Optional[datetime]] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class Activity(Base):
    """A submitted CE activity or course completion certificate, and its review."""

    __tablename__ = "ce_activities"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    program: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # "ce" | "course"
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date] = mapped_column(Date)
    certification_id: Mapped[Optional[str]] = mapped_column(String(100))
    credits: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)  # pending | approved | rejected
    reason: Mapped[Optional[str]] = mapped_column(Text)
    document_filename: Mapped[str] = mapped_column(String(255))
    document_content_type: Mapped[str] = mapped_column(String(60))
    # Kept in the database, never under a web root; at most 5 MB.
    document: Mapped[bytes] = mapped_column(LargeBinary)
    submitted_at: Mapped[datetime] = mapped_column(Stamp)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    reviewed_by: Mapped[Optional[str]] = mapped_column(String(254))


class PublishedStanding(Base):
    """The last standing announced for (candidate, certification): what the
    next evaluation is diffed against, its event revision, and the
    certificate code (created the first time it is active, never changed)."""

    __tablename__ = "published_standings"
    __table_args__ = (UniqueConstraint("candidate_id", "certification_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    program: Mapped[str] = mapped_column(String(60))
    certification_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12))
    started_on: Mapped[Optional[date]] = mapped_column(Date)
    active_on: Mapped[Optional[date]] = mapped_column(Date)
    expires_on: Mapped[Optional[date]] = mapped_column(Date, index=True)
    revision: Mapped[int] = mapped_column(Integer)
    ever_achieved: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate_code: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class CandidateEvaluation(Base):
    """The candidate's standing in every certification of their program as last
    evaluated (`rules.Evaluation` as JSON): written by each re-evaluation with
    the published standings, read by the pages, downloads and verification."""

    __tablename__ = "candidate_evaluations"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    program: Mapped[str] = mapped_column(String(60))
    as_of: Mapped[date] = mapped_column(Date, index=True)
    evaluation: Mapped[dict] = mapped_column(JSON)
    evaluated_at: Mapped[datetime] = mapped_column(Stamp)


class ExpertSeries(Base):
    """The next number of a numbered series (CCIE, CCDE); numbers are never reused."""

    __tablename__ = "expert_series"

    series: Mapped[str] = mapped_column(String(10), primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer)


class ExpertNumber(Base):
    __tablename__ = "expert_numbers"
    __table_args__ = (UniqueConstraint("candidate_id", "series"), UniqueConstraint("series", "number"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(10))
    number: Mapped[int] = mapped_column(Integer)
    certification_id: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(Stamp)


class ReminderSent(Base):
    """An expiry reminder sent for one validity period (once per threshold)."""

    __tablename__ = "expiry_reminders"
    __table_args__ = (UniqueConstraint("candidate_id", "certification_id", "expires_on", "days_before"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20))
    certification_id: Mapped[str] = mapped_column(String(100))
    expires_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(Integer)
    sent_on: Mapped[date] = mapped_column(Date)


class DailyRun(Base):
    """A day the daily run has completed (the hourly timer runs each day once)."""

    __tablename__ = "daily_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(Stamp)
    expired: Mapped[int] = mapped_column(Integer)
    reminders: Mapped[int] = mapped_column(Integer)


class PendingMail(Base):
    """A mail for a candidate whose address identity has not told us yet."""

    __tablename__ = "pending_mails"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20), index=True)
    template: Mapped[str] = mapped_column(String(60))
    context: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Stamp)


class CertificationAgreement(AgreementColumns, Base):
    """One published version of a program's certification agreement (certtrack_shared.agreements)."""

    __tablename__ = "certification_agreements"


class AgreementAcceptance(AcceptanceColumns, Base):
    """A candidate accepted one version of their program's certification agreement."""

    __tablename__ = "certification_agreement_acceptances"
    agreement_table = "certification_agreements"


class IssuedCredential(Base):
    """One Open Badges credential: a validity period of a certification, signed once.

    The signed token is kept so every download is exactly what was signed;
    the rows of one certification are its renewal history
    (docs/decisions/0024-open-badges-credentials.md).
    """

    __tablename__ = "issued_credentials"
    __table_args__ = (
        UniqueConstraint("program", "status_list", "status_index", name="uq_issued_credentials_status"),
        Index("ix_issued_credentials_candidate", "candidate_id", "certification_id"),
    )

    credential_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # a UUID
    candidate_id: Mapped[str] = mapped_column(String(20))
    program: Mapped[str] = mapped_column(String(60))
    certification_id: Mapped[str] = mapped_column(String(100))
    # The period it states: validFrom is active_on's first moment (UTC), validUntil expires_on's.
    active_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[Optional[date]] = mapped_column(Date)  # the first day no longer active
    status_list: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(Stamp)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(Stamp)


class CredentialStatusList(Base):
    """One numbered revocation list of a program, and its last signed publication."""

    __tablename__ = "credential_status_lists"

    program: Mapped[str] = mapped_column(String(60), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer)
    token: Mapped[Optional[str]] = mapped_column(Text)
    published_at: Mapped[Optional[datetime]] = mapped_column(Stamp)
    valid_until: Mapped[Optional[datetime]] = mapped_column(Stamp)
