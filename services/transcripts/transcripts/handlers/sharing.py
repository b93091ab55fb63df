"""A candidate's transcripts: create, list, edit, deactivate, new access code.

Every function takes the candidate ID and finds a transcript by (code,
candidate): another candidate's transcript is `TranscriptNotFound`, exactly
like one that does not exist.

Codes: the public `code` and the `access_code` are each 18 random bytes
(144 bits) as URL-safe base64. Only the access code's SHA-256 is stored
(a fast hash is enough for 144 random bits: there is nothing to brute-force),
so it is given out once, when created or regenerated; the candidate's list
can never show it again. To share a transcript later the candidate either
still has the link, or regenerates the access code (which ends every link
shared before — also the way to revoke one without deactivating).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transcripts.exceptions import InvalidTranscript, TranscriptInactive, TranscriptNotFound
from transcripts.models import Candidate, Certification, Transcript, TranscriptView
from transcripts.schemas import (
    Display, HeldCertification, TranscriptList, TranscriptOptions, TranscriptRequest,
    TranscriptSummary, TranscriptWithAccessCode,
)

CODE_BYTES = 18  # 144 bits each for code and access code (CONTRACTS.md asks ≥ 128)
LONGEST_VALIDITY = timedelta(days=5 * 366)
HELD = ("active", "expired", "revoked")  # in_progress is not a credential to show


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_access_code(access_code: str) -> str:
    return hashlib.sha256(access_code.encode("utf-8")).hexdigest()


def access_code_matches(access_code: str, stored_hash: str) -> bool:
    """Constant-time: how long the comparison takes says nothing about the stored hash."""
    return hmac.compare_digest(hash_access_code(access_code), stored_hash)


def state_of(transcript: Transcript, today: date) -> str:
    if transcript.deactivated_at is not None:
        return "deactivated"
    if transcript.valid_through < today:
        return "expired"
    return "active"


def _views(session: Session, transcript_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """transcript id → (number of views, latest view), from the append-only views table."""
    if not transcript_ids:
        return {}
    rows = session.execute(
        select(TranscriptView.transcript_id, func.count(), func.max(TranscriptView.viewed_at))
        .where(TranscriptView.transcript_id.in_(transcript_ids))
        .group_by(TranscriptView.transcript_id)
    ).all()
    return {transcript_id: (count, latest) for transcript_id, count, latest in rows}


def summary(session: Session, transcript: Transcript, today: date,
            views: tuple[int, datetime | None] | None = None) -> TranscriptSummary:
    if views is None:
        views = _views(session, [transcript.id]).get(transcript.id, (0, None)) if transcript.id else (0, None)
    return TranscriptSummary(
        code=transcript.code, description=transcript.description,
        valid_through=transcript.valid_through,
        display=Display(certifications=transcript.certifications,
                        include_expired=transcript.include_expired,
                        include_exams=transcript.include_exams, show_email=transcript.show_email),
        remarks=transcript.remarks, state=state_of(transcript, today),
        created_at=transcript.created_at, updated_at=transcript.updated_at,
        deactivated_at=transcript.deactivated_at, views=views[0], last_viewed_at=views[1],
    )


def transcript_options(session: Session, candidate_id: str) -> TranscriptOptions:
    """The certifications a transcript can name: those the candidate holds or held."""
    rows = session.scalars(
        select(Certification)
        .where(Certification.candidate_id == candidate_id, Certification.status.in_(HELD))
        .order_by(Certification.name)
    ).all()
    person = session.get(Candidate, candidate_id)
    return TranscriptOptions(name=f"{person.first_name} {person.last_name}" if person else None, certifications=[
        HeldCertification(id=row.certification_id, name=row.name, status=row.status,
                          expires_on=row.expires_on) for row in rows])


def _check(session: Session, candidate_id: str, request: TranscriptRequest, today: date) -> None:
    problems = {}
    if request.valid_through < today:
        problems["valid_through"] = "Choose today or a later date."
    elif request.valid_through > today + LONGEST_VALIDITY:
        problems["valid_through"] = "A transcript can be valid for at most five years."
    chosen = request.display.certifications
    if chosen != "all_active":
        held = {row.id for row in transcript_options(session, candidate_id).certifications}
        unknown = [cert for cert in chosen if cert not in held]
        if unknown:
            problems["display.certifications"] = (
                "You do not hold these certifications: " + ", ".join(sorted(set(unknown))) + ".")
    if problems:
        raise InvalidTranscript(problems)


def _apply(transcript: Transcript, request: TranscriptRequest) -> None:
    display = request.display
    chosen = display.certifications
    transcript.description = request.description
    transcript.valid_through = request.valid_through
    # Order kept as chosen, duplicates dropped.
    transcript.certifications = chosen if chosen == "all_active" else list(dict.fromkeys(chosen))
    transcript.include_expired = display.include_expired
    transcript.include_exams = display.include_exams
    transcript.show_email = display.show_email
    transcript.remarks = request.remarks


def create_transcript(session: Session, candidate_id: str, request: TranscriptRequest,
                      now: datetime) -> TranscriptWithAccessCode:
    _check(session, candidate_id, request, now.date())
    access_code = new_code()
    transcript = Transcript(code=new_code(), access_code_hash=hash_access_code(access_code),
                            candidate_id=candidate_id, created_at=now, updated_at=now)
    _apply(transcript, request)
    session.add(transcript)
    session.flush()
    return TranscriptWithAccessCode(transcript=summary(session, transcript, now.date(), (0, None)),
                                    access_code=access_code)


def own_transcript(session: Session, candidate_id: str, code: str, *, lock: bool = False) -> Transcript:
    query = select(Transcript).where(Transcript.code == code, Transcript.candidate_id == candidate_id)
    if lock:
        query = query.with_for_update()
    transcript = session.scalars(query).first() if isinstance(code, str) else None
    if transcript is None:
        raise TranscriptNotFound()
    return transcript


def list_transcripts(session: Session, candidate_id: str, now: datetime) -> TranscriptList:
    rows = session.scalars(
        select(Transcript).where(Transcript.candidate_id == candidate_id)
        .order_by(Transcript.created_at.desc(), Transcript.id.desc())
    ).all()
    views = _views(session, [row.id for row in rows])
    return TranscriptList(items=[summary(session, row, now.date(), views.get(row.id, (0, None))) for row in rows])


def get_transcript(session: Session, candidate_id: str, code: str, now: datetime) -> TranscriptSummary:
    return summary(session, own_transcript(session, candidate_id, code), now.date())


def update_transcript(session: Session, candidate_id: str, code: str, request: TranscriptRequest,
                      now: datetime) -> TranscriptSummary:
    """A deactivated transcript stays so (TranscriptInactive); an expired one can be
    extended by a later valid-through date."""
    transcript = own_transcript(session, candidate_id, code, lock=True)
    if transcript.deactivated_at is not None:
        raise TranscriptInactive({"state": "deactivated"})
    _check(session, candidate_id, request, now.date())
    _apply(transcript, request)
    transcript.updated_at = now
    return summary(session, transcript, now.date())


def deactivate_transcript(session: Session, candidate_id: str, code: str, now: datetime) -> TranscriptSummary:
    """For good (there is no reactivation: create a new transcript); twice is the same as once."""
    transcript = own_transcript(session, candidate_id, code, lock=True)
    if transcript.deactivated_at is None:
        transcript.deactivated_at = now
        transcript.updated_at = now
    return summary(session, transcript, now.date())


def regenerate_access_code(session: Session, candidate_id: str, code: str,
                           now: datetime) -> TranscriptWithAccessCode:
    """A new access code; every link shared with the old one stops working at once."""
    transcript = own_transcript(session, candidate_id, code, lock=True)
    if transcript.deactivated_at is not None:
        raise TranscriptInactive({"state": "deactivated"})
    access_code = new_code()
    transcript.access_code_hash = hash_access_code(access_code)
    transcript.updated_at = now
    return TranscriptWithAccessCode(transcript=summary(session, transcript, now.date()), access_code=access_code)
