"""Tables owned by the transcripts service.

Two kinds: the **projection** (`candidates`, `certifications`, `sittings`),
kept current from other services' events so that a verification never has
to ask another service; and the service's own records (`transcripts`,
`transcript_views`, `access_failures`, `transcript_mails`).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


# -- the projection ---------------------------------------------------------------------
class Candidate(Base):
    """Name and email from identity's events; `as_of` is the newest event applied."""

    __tablename__ = "candidates"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Certification(Base):
    """A candidate's standing in one certification, the highest `revision` seen."""

    __tablename__ = "certifications"

    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    certification_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    program: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[Optional[date]] = mapped_column(Date)
    active_on: Mapped[Optional[date]] = mapped_column(Date)
    expires_on: Mapped[Optional[date]] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)


class Sitting(Base):
    """One scored exam as the exams service last announced it (`as_of`)."""

    __tablename__ = "sittings"
    __table_args__ = (Index("ix_sittings_candidate", "candidate_id"),)

    sitting_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    candidate_id: Mapped[str] = mapped_column(String(20))
    exam_code: Mapped[str] = mapped_column(String(40))
    exam_title: Mapped[str] = mapped_column(String(300))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    result: Mapped[str] = mapped_column(String(4))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- transcripts ------------------------------------------------------------------------
class Transcript(Base):
    """A candidate's shared view of their record.

    `code` is public (it is in the link); `access_code_hash` is the SHA-256 of
    the access code, which is shown once and never stored in clear.
    `certifications` is the JSON string "all_active" or a list of ids.
    """

    __tablename__ = "transcripts"
    __table_args__ = (Index("ix_transcripts_candidate", "candidate_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    access_code_hash: Mapped[str] = mapped_column(String(64))
    candidate_id: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    valid_through: Mapped[date] = mapped_column(Date)
    certifications: Mapped[object] = mapped_column(JSON)
    include_expired: Mapped[bool] = mapped_column(Boolean)
    include_exams: Mapped[bool] = mapped_column(Boolean)
    show_email: Mapped[bool] = mapped_column(Boolean)
    remarks: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deactivated_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class TranscriptView(Base):
    """Each successful verification, with its time; the list counts them.

    Append-only on purpose: a counter column on `transcripts` would be one hot
    row that every concurrent view of a popular transcript waits on. For the
    same reason `transcript_id` has no foreign key: PostgreSQL checks one by
    locking the referenced row (`FOR KEY SHARE`), so every view would lock the
    transcript's row, and concurrent views share that lock through multixacts.
    Transcripts are never deleted (only deactivated), and a view is inserted
    only for a transcript just read, so the id cannot dangle.
    """

    __tablename__ = "transcript_views"
    __table_args__ = (Index("ix_transcript_views_transcript", "transcript_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(Id)
    viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccessFailure(Base):
    """A wrong access code (or unknown transcript code), for the rate limits."""

    __tablename__ = "access_failures"
    __table_args__ = (
        Index("ix_access_failures_code", "code", "failed_at"),
        Index("ix_access_failures_client", "client_address", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TranscriptMail(Base):
    """A transcript mailed to a third party (also the per-candidate sending limit)."""

    __tablename__ = "transcript_mails"
    __table_args__ = (Index("ix_transcript_mails_candidate", "candidate_id", "sent_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id"))
    candidate_id: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
