"""Mailing a transcript to a third party, with a preview that sends nothing.

The mail carries the link with both codes, so the candidate gives the access
code again (they have it from the link they were shown, or regenerate it):
the service holds only its hash and checks it here, so a mail can never
carry a link that does not open. The mail goes through the outbox, after
commit, like every mail of the system.

At most `DAILY_LIMIT` share mails per candidate in any 24 hours: the form
sends to any address, and must not become a way to send mail in CertTrack's
name in bulk.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import select
from sqlalchemy.orm import Session

from transcripts.exceptions import InvalidTranscript, TooManyAttempts, TranscriptInactive
from transcripts.models import Candidate, Transcript, TranscriptMail
from transcripts.schemas import RenderedMail, ShareMailRequest
from transcripts.handlers.sharing import access_code_matches, own_transcript, state_of
from transcripts.mails import TEMPLATES, verification_link

DAILY_LIMIT = 20
DAY = timedelta(hours=24)


def _render(session: Session, transcript: Transcript, request: ShareMailRequest, now: datetime):
    if state_of(transcript, now.date()) != "active":
        raise TranscriptInactive({"state": state_of(transcript, now.date())})
    if not access_code_matches(request.access_code, transcript.access_code_hash):
        raise InvalidTranscript({"access_code": "This is not the transcript's access code. "
                                                "Use the link you were given, or generate a new access code."})
    person = session.get(Candidate, transcript.candidate_id)
    name = f"{person.first_name} {person.last_name}" if person else "A CertTrack candidate"
    return TEMPLATES.render(
        "transcript_shared", str(request.to), candidate_name=name, message=request.message,
        valid_through=f"{transcript.valid_through.day} {transcript.valid_through:%B %Y}",
        link=verification_link(transcript.code, request.access_code), code=transcript.code,
        access_code=request.access_code,
    )


def preview_share_mail(session: Session, candidate_id: str, code: str, request: ShareMailRequest,
                       now: datetime) -> RenderedMail:
    mail = _render(session, own_transcript(session, candidate_id, code), request, now)
    return RenderedMail(to=mail.to, subject=mail.subject, text=mail.text, html=mail.html)


def send_share_mail(session: Session, outbox, candidate_id: str, code: str, request: ShareMailRequest,
                    now: datetime) -> RenderedMail:
    transcript = own_transcript(session, candidate_id, code)
    mail = _render(session, transcript, request, now)
    sent = session.execute(
        select(TranscriptMail.sent_at).where(TranscriptMail.candidate_id == candidate_id,
                                             TranscriptMail.sent_at > now - DAY)
        .order_by(TranscriptMail.sent_at)
    ).scalars().all()
    if len(sent) >= DAILY_LIMIT:
        frees_at = sent[len(sent) - DAILY_LIMIT] + DAY
        raise TooManyAttempts({"retry_after_seconds": max(1, ceil((frees_at - now).total_seconds()))})
    session.add(TranscriptMail(transcript_id=transcript.id, candidate_id=candidate_id,
                               recipient=str(request.to)[:320], sent_at=now))
    outbox.mail(mail)
    return RenderedMail(to=mail.to, subject=mail.subject, text=mail.text, html=mail.html)
