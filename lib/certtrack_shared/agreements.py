"""Versioned agreements: a program's text in numbered versions, and which
version each candidate accepted when. Exams (exam agreements) and certs
(certification agreements) keep the same record in their own tables.

The current agreement of a program is its highest version. A candidate needs
to accept until they have accepted exactly that version; publishing a new
version makes every earlier acceptance out of date. Acceptances are kept
(one row per version accepted), so the record shows what was agreed to and
when.

Use: build one `VersionedAgreements` per service from its two mapped
classes, then call its methods with the worker's session::

    AGREEMENTS = VersionedAgreements(ExamAgreement, AgreementAcceptance)

    AGREEMENTS.publish(session, program, title, body, published_by, now)  # -> agreement row
    AGREEMENTS.standing(session, candidate_id, program)                   # -> Standing
    AGREEMENTS.accept(session, candidate_id, program, version, now)       # -> Standing
    AGREEMENTS.versions(session, program=None)          # -> {program: [rows, newest first]}
    AGREEMENTS.current(session, program)                # -> agreement row or None

The two classes get their columns from the mixins here; the service names
the tables (and may narrow a column, as exams makes `published_by` required)::

    class ExamAgreement(AgreementColumns, Base):
        __tablename__ = "exam_agreements"

    class AgreementAcceptance(AcceptanceColumns, Base):
        __tablename__ = "agreement_acceptances"
        agreement_table = "exam_agreements"   # (program, version) refers to it

`accept` raises `VersionNotCurrent` (with `requested` and `current`, None
when the program has no agreement) for any version but the current one; the
service turns it into its own domain error. Methods return rows and plain
values, never a service's reply schema, and take the time as an argument:
none reads the clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, Optional, TypeVar

from sqlalchemy import (
    BigInteger, DateTime, ForeignKeyConstraint, Integer, String, Text, UniqueConstraint, func, select,
)
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from certtrack_shared.locks import advisory_lock

Agreement = TypeVar("Agreement")
Acceptance = TypeVar("Acceptance")

_Id = BigInteger().with_variant(Integer(), "sqlite")


class AgreementColumns:
    """One published version of a program's agreement; the highest version is current."""

    __table_args__ = (UniqueConstraint("program", "version"),)

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    program: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The staff member's email (the audit record of who published which text).
    published_by: Mapped[Optional[str]] = mapped_column(String(254))


class AcceptanceColumns:
    """A candidate accepted one version of their program's agreement."""

    agreement_table: ClassVar[str]  # the agreements' table, which (program, version) refers to

    @declared_attr.directive
    def __table_args__(cls):
        return (
            UniqueConstraint("candidate_id", "program", "version"),
            ForeignKeyConstraint(["program", "version"],
                                 [f"{cls.agreement_table}.program", f"{cls.agreement_table}.version"]),
        )

    id: Mapped[int] = mapped_column(_Id, primary_key=True)
    candidate_id: Mapped[str] = mapped_column(String(20))
    program: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VersionNotCurrent(Exception):
    """Only the current version can be accepted; `current` is None when the program has none."""

    def __init__(self, requested: int, current: Optional[int]):
        super().__init__(f"version {requested} is not the current one ({current})")
        self.requested = requested
        self.current = current


@dataclass(frozen=True)
class Standing(Generic[Agreement, Acceptance]):
    """The program's current agreement and the candidate's latest acceptance (of any version)."""

    current: Optional[Agreement]
    accepted: Optional[Acceptance]

    @property
    def needs_acceptance(self) -> bool:
        """True while the program has an agreement and the latest acceptance is not of it."""
        return self.current is not None and (
            self.accepted is None or self.accepted.version != self.current.version)


class VersionedAgreements(Generic[Agreement, Acceptance]):
    """The rules of one service's agreements, over its agreement and acceptance classes."""

    def __init__(self, agreement: type[Agreement], acceptance: type[Acceptance]):
        self.agreement: Any = agreement
        self.acceptance: Any = acceptance

    def current(self, session: Session, program: str) -> Optional[Agreement]:
        return session.scalars(
            select(self.agreement).where(self.agreement.program == program)
            .order_by(self.agreement.version.desc()).limit(1)
        ).first()

    def latest_acceptance(self, session: Session, candidate_id: str, program: str) -> Optional[Acceptance]:
        return session.scalars(
            select(self.acceptance)
            .where(self.acceptance.candidate_id == candidate_id, self.acceptance.program == program)
            .order_by(self.acceptance.version.desc()).limit(1)
        ).first()

    def standing(self, session: Session, candidate_id: str, program: str) -> Standing:
        return Standing(self.current(session, program),
                        self.latest_acceptance(session, candidate_id, program))

    def accept(self, session: Session, candidate_id: str, program: str, version: int,
               now: datetime) -> Standing:
        """Record that the candidate accepted `version`, which must be the current one.

        Accepting the same version again changes nothing (the first time
        stands), so a double-clicked Accept button is harmless.
        """
        # Two accepts would otherwise both insert the acceptance, which does not exist yet to lock.
        advisory_lock(session, self.acceptance.__tablename__, candidate_id, program)
        current = self.current(session, program)
        if current is None or version != current.version:
            raise VersionNotCurrent(version, current.version if current else None)
        already = session.scalars(select(self.acceptance).where(
            self.acceptance.candidate_id == candidate_id,
            self.acceptance.program == program,
            self.acceptance.version == version,
        )).first()
        if already is None:
            session.add(self.acceptance(
                candidate_id=candidate_id, program=program, version=version, accepted_at=now))
            session.flush()
        return self.standing(session, candidate_id, program)

    def publish(self, session: Session, program: str, title: str, body: str,
                published_by: Optional[str], now: datetime) -> Agreement:
        """Add the program's next version (1 for its first); from now on it is the current one."""
        # Two publishes would otherwise both pick the same next version.
        advisory_lock(session, self.agreement.__tablename__, program)
        latest = session.scalar(
            select(func.max(self.agreement.version)).where(self.agreement.program == program))
        row = self.agreement(program=program, version=(latest or 0) + 1, title=title, body=body,
                             published_at=now, published_by=published_by)
        session.add(row)
        session.flush()
        return row

    def versions(self, session: Session, program: Optional[str] = None) -> dict[str, list[Agreement]]:
        """Every program's versions (or one program's), newest first, programs in name order."""
        query = select(self.agreement).order_by(self.agreement.program, self.agreement.version.desc())
        if program is not None:
            query = query.where(self.agreement.program == program)
        programs: dict[str, list[Agreement]] = {}
        for row in session.scalars(query):
            programs.setdefault(row.program, []).append(row)
        return programs
