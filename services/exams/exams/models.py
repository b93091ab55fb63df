"""Tables owned by the exams service."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import (
    JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from certtrack_shared.agreements import AcceptanceColumns, AgreementColumns

Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Registration(Base):
    """A vendor's booking, and which candidate it belongs to once identity says."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("vendor", "registration_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(60))
    registration_number: Mapped[str] = mapped_column(String(60))
    program: Mapped[str] = mapped_column(String(60))
    exam_code: Mapped[Optional[str]] = mapped_column(String(40))
    exam_title: Mapped[Optional[str]] = mapped_column(String(300))
    scheduled_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    reported_candidate: Mapped[dict] = mapped_column(JSON)
    candidate_id: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Sitting(Base):
    """One scored attempt at an exam: the latest result the vendor sent."""

    __tablename__ = "sittings"
    __table_args__ = (UniqueConstraint("vendor", "registration_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(60))
    registration_number: Mapped[str] = mapped_column(String(60))
    program: Mapped[str] = mapped_column(String(60))
    candidate_id: Mapped[Optional[str]] = mapped_column(String(20), index=True)
    exam_code: Mapped[str] = mapped_column(String(40))
    exam_title: Mapped[str] = mapped_column(String(300))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    score: Mapped[int] = mapped_column(Integer)
    passing_score: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(4))
    test_center_id: Mapped[str] = mapped_column(String(60))
    test_center_name: Mapped[str] = mapped_column(String(300))
    test_center_country: Mapped[str] = mapped_column(String(2))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    history: Mapped[list["SittingChange"]] = relationship(
        back_populates="sitting", order_by="SittingChange.id"
    )


class SittingChange(Base):
    """Every vendor message that shaped a sitting: result, correction, revocation."""

    __tablename__ = "sitting_changes"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    event_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    sitting: Mapped[Sitting] = relationship(back_populates="history")


class PendingRevocation(Base):
    """A revocation that arrived before the result it withdraws."""

    __tablename__ = "pending_revocations"
    __table_args__ = (UniqueConstraint("vendor", "registration_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(60))
    registration_number: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExamAgreement(AgreementColumns, Base):
    """One published version of a program's exam agreement (certtrack_shared.agreements)."""

    __tablename__ = "exam_agreements"

    # Required here; the seeded first versions say "CertTrack".
    published_by: Mapped[str] = mapped_column(String(254))


class AgreementAcceptance(AcceptanceColumns, Base):
    """A candidate accepted one version of their program's exam agreement."""

    __tablename__ = "agreement_acceptances"
    agreement_table = "exam_agreements"


class VendorApiKey(Base):
    """A testing vendor's key for `POST /api/v1/vendor/events`.

    Only the key's SHA-256 is kept; the key itself is shown to staff once,
    when it is created. `key_prefix` (its first 8 characters) lets staff
    tell keys apart. A key posts messages of its `vendor` for its `programs`
    (a sorted list of program codes) until `expires_at`; neither changes
    after creation. Who did what to it is in `VendorKeyAudit`.
    """

    __tablename__ = "vendor_api_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    key_prefix: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    programs: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[Optional[str]] = mapped_column(String(254))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    history: Mapped[list["VendorKeyAudit"]] = relationship(order_by="VendorKeyAudit.id")


class VendorKeyAudit(Base):
    """What was done to a vendor key, by whom and when; rows are only ever added.

    `action` is `created` (with the scope and expiry given), `revoked`, or
    `scoped`: migration 0006 giving a key made before scopes existed its
    programs and expiry. `staff` is the staff member's email, or CertTrack
    itself for the migration.
    """

    __tablename__ = "vendor_key_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("vendor_api_keys.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    staff: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    programs: Mapped[Optional[list[str]]] = mapped_column(JSON)
    expires_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class VendorBrokerUser(Base):
    """A testing vendor's RabbitMQ user, and what it may publish
    (CONTRACTS.md §7): messages of `vendor` for `programs` (sorted program
    codes). Registered and removed by admins in the staff console; who did
    what is in `VendorBrokerUserAudit`. A removed registration keeps its row
    (`removed_at`) so the audit and the console still show it."""

    __tablename__ = "vendor_broker_users"

    broker_user: Mapped[str] = mapped_column(String(120), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(60))
    programs: Mapped[list[str]] = mapped_column(JSON)
    registered_by: Mapped[str] = mapped_column(String(254))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_by: Mapped[Optional[str]] = mapped_column(String(254))
    removed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class VendorBrokerUserAudit(Base):
    """What was done to a broker user's registration; rows are only ever
    added. `action` is `registered` (vendor and programs as given) or
    `removed`."""

    __tablename__ = "vendor_broker_user_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    broker_user: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(20))
    vendor: Mapped[Optional[str]] = mapped_column(String(60))
    programs: Mapped[Optional[list[str]]] = mapped_column(JSON)
    staff: Mapped[str] = mapped_column(String(254))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
