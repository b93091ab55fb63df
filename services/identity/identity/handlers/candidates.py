"""Candidates: IDs, creation, and matching the candidates vendors report."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.contracts.exams import CandidateReportedV1
from certtrack_shared.contracts.identity import CandidateRegisteredV1, RegistrationLinkedV1

from identity import mails
from identity.handlers.common import email_owner, new_event, normalize_email
from identity.models import Candidate, CandidateIdCounter, Registration
from identity.handlers.programs import FIRST_NUMBER, Program, get_program

log = logging.getLogger(__name__)


def lock_program(session: Session, program: Program) -> CandidateIdCounter:
    """The program's counter row, locked FOR UPDATE until the commit.

    Holding it serialises everything that may create a candidate of the
    program, so two reports of the same new person cannot both create one.
    """
    query = select(CandidateIdCounter).where(CandidateIdCounter.program == program.code)
    counter = session.execute(query.with_for_update()).scalar_one_or_none()
    if counter is None:
        # A program added after the migration seeded the counters.
        try:
            with session.begin_nested():
                session.add(CandidateIdCounter(program=program.code, next_number=FIRST_NUMBER))
        except IntegrityError:
            pass  # another worker made it first
        counter = session.execute(query.with_for_update()).scalar_one()
    return counter


def allocate_candidate_id(session: Session, program: Program) -> str:
    """The next candidate ID of the program (`CSCO10000001`, `CSCO10000002`, …)."""
    counter = lock_program(session, program)
    number = counter.next_number
    counter.next_number = number + 1
    return program.candidate_id(number)


def create_candidate(session: Session, outbox, now, *, program: Program, first_name: str,
                     last_name: str, email: str, source: str) -> Candidate:
    """A new candidate, announced by `candidate_registered` and a welcome mail."""
    candidate = Candidate(
        candidate_id=allocate_candidate_id(session, program),
        program=program.code,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        source=source,
        created_at=now,
        updated_at=now,
    )
    session.add(candidate)
    session.flush()
    outbox.publish(
        new_event(
            CandidateRegisteredV1,
            now,
            candidate_id=candidate.candidate_id,
            program=candidate.program,
            first_name=candidate.first_name,
            last_name=candidate.last_name,
            email=candidate.email,
            source=source,
        )
    )
    mails.send(outbox, "welcome" if source == "vendor" else "welcome_staff", candidate.email,
               **mails.candidate_context(candidate))
    log.info("created candidate %s (%s)", candidate.candidate_id, source)
    return candidate


def match_reported(session: Session, program: Program, event: CandidateReportedV1,
                   email: str | None) -> Candidate | None:
    """Candidate ID, then an earlier registration number, then email."""
    reported_id = (event.candidate.candidate_id or "").strip().upper()
    if reported_id:
        candidate = session.get(Candidate, reported_id)
        if candidate is not None and candidate.program == program.code:
            return candidate
        log.warning("reported candidate ID %s is not a %s candidate; matching on",
                    reported_id, program.code)
    registration = session.execute(
        select(Registration).where(
            Registration.vendor == event.vendor,
            Registration.registration_number == event.registration_number,
        )
    ).scalar_one_or_none()
    if registration is not None:
        return session.get(Candidate, registration.candidate_id)
    if email is not None:
        return email_owner(session, program.code, email)
    return None


def handle_candidate_reported(session: Session, outbox, clock, event: CandidateReportedV1) -> dict:
    """Match or create the reported candidate, record the registration number
    and announce `registration_linked` (and `candidate_registered` if new)."""
    now = clock()
    program = get_program(event.program)
    if program is None:
        raise PoisonMessage(f"unknown program {event.program!r}")
    email = normalize_email(event.candidate.email)
    # Serialise with every other creator of this program's candidates, then
    # match: a racing report that created the person first is seen here.
    lock_program(session, program)
    candidate = match_reported(session, program, event, email)
    created = candidate is None
    if created:
        if email is None:
            raise PoisonMessage("the reported candidate has no valid email address")
        candidate = create_candidate(
            session, outbox, now, program=program, first_name=event.candidate.first_name,
            last_name=event.candidate.last_name, email=email, source="vendor",
        )
    linked_to = record_registration(session, event, candidate, now)
    outbox.publish(
        new_event(
            RegistrationLinkedV1,
            now,
            vendor=event.vendor,
            registration_number=event.registration_number,
            candidate_id=linked_to,
        )
    )
    return {"candidate_id": linked_to, "created": created}


def record_registration(session: Session, event: CandidateReportedV1, candidate: Candidate,
                        now) -> str:
    """Link the registration number to the candidate; the first link stays."""
    existing = session.execute(
        select(Registration).where(
            Registration.vendor == event.vendor,
            Registration.registration_number == event.registration_number,
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.candidate_id != candidate.candidate_id:
            log.warning("registration %s/%s stays with %s (reported for %s)", event.vendor,
                        event.registration_number, existing.candidate_id, candidate.candidate_id)
        return existing.candidate_id
    session.add(
        Registration(
            vendor=event.vendor,
            registration_number=event.registration_number,
            candidate_id=candidate.candidate_id,
            last_name=event.candidate.last_name.strip(),
            created_at=now,
        )
    )
    session.flush()
    return candidate.candidate_id
