"""The certs service's mails, rendered from `templates/mail/` into the outbox.

Identity owns addresses; certs keeps the latest it announced. A mail for a
candidate whose address has not arrived yet (a sitting overtook
`candidate_registered` on another queue) waits in `pending_mails` and goes
out, in the same transaction, when the address arrives.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.mail import MailTemplates

from certs.models import Candidate, PendingMail

TEMPLATES = MailTemplates(str(Path(__file__).parent / "templates" / "mail"))


def long_date(day: date | str | None) -> str | None:
    """`January 15, 2027`: unambiguous in every locale a reader may have."""
    if day is None:
        return None
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return f"{day:%B} {day.day}, {day.year}"


def send(session: Session, outbox, candidate: Candidate, template: str, now: datetime, **context) -> None:
    context.setdefault("candidate_id", candidate.candidate_id)
    if candidate.email:
        context.setdefault("first_name", candidate.first_name or candidate.candidate_id)
        outbox.mail(TEMPLATES.render(template, candidate.email, **context))
        return
    session.add(PendingMail(candidate_id=candidate.candidate_id, template=template,
                            context=context, created_at=now))


def send_pending(session: Session, outbox, candidate: Candidate) -> int:
    """Mail what waited for this candidate's address; returns how many."""
    if not candidate.email:
        return 0
    waiting = session.scalars(
        select(PendingMail).where(PendingMail.candidate_id == candidate.candidate_id)
        .order_by(PendingMail.id)
    ).all()
    for pending in waiting:
        context = dict(pending.context)
        context.setdefault("first_name", candidate.first_name or candidate.candidate_id)
        outbox.mail(TEMPLATES.render(pending.template, candidate.email, **context))
        session.delete(pending)
    return len(waiting)
