"""Name-change tickets: the candidate asks with an ID scan, staff decide.

A candidate only ever reaches tickets through their own candidate ID; staff
reach all of them. The document is deleted once staff decide.
"""
from __future__ import annotations

import base64
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import mails, schemas
from identity.documents import decode_document, when_transaction_ends
from identity.exceptions import InvalidDecision, InvalidProfile, NotFound, TicketAlreadyDecided
from identity.handlers.common import get_candidate, publish_profile_updated
from identity.handlers.staff import require_staff
from identity.models import SupportTicket

log = logging.getLogger(__name__)

NAME_CHANGE = "name_change"
STATUSES = ("open", "approved", "rejected")
DECISIONS = {"approve": "approved", "approved": "approved", "reject": "rejected",
             "rejected": "rejected"}
MAX_NAME = 120
MAX_REASON = 2000


def ticket_reply(ticket: SupportTicket) -> schemas.Ticket:
    return schemas.Ticket(
        id=ticket.id,
        candidate_id=ticket.candidate_id,
        kind=ticket.kind,
        status=ticket.status,
        requested_first_name=ticket.requested_first_name,
        requested_last_name=ticket.requested_last_name,
        reason=ticket.reason,
        has_document=ticket.document_key is not None,
        decision_reason=ticket.decision_reason,
        created_at=ticket.created_at,
        decided_at=ticket.decided_at,
    )


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def open_name_change_ticket(session: Session, outbox, documents, clock, *, candidate_id,
                            first_name, last_name, reason, document) -> schemas.Ticket:
    now = clock()
    candidate = get_candidate(session, candidate_id)
    first, last, why = _text(first_name), _text(last_name), _text(reason)
    errors = {}
    for field, value in (("first_name", first), ("last_name", last)):
        if not value:
            errors[field] = "This field is required."
        elif len(value) > MAX_NAME:
            errors[field] = f"Use at most {MAX_NAME} characters."
    if len(why) > MAX_REASON:
        errors["reason"] = f"Use at most {MAX_REASON} characters."
    if not errors and (first, last) == (candidate.first_name, candidate.last_name):
        errors["last_name"] = "This is already the name on your record."
    if errors:
        raise InvalidProfile(errors)
    filename, content_type, data = decode_document(document)
    key = documents.save(data)
    when_transaction_ends(session, rolled_back=lambda: documents.delete(key))
    ticket = SupportTicket(
        candidate_id=candidate.candidate_id, kind=NAME_CHANGE, status="open",
        requested_first_name=first, requested_last_name=last, reason=why or None,
        document_key=key, document_filename=filename, document_content_type=content_type,
        created_at=now,
    )
    session.add(ticket)
    session.flush()
    mails.send(outbox, "name_change_received", candidate.email, ticket_id=ticket.id,
               requested_first_name=first, requested_last_name=last,
               **mails.candidate_context(candidate))
    log.info("name-change ticket %s opened by %s", ticket.id, candidate.candidate_id)
    return ticket_reply(ticket)


def list_tickets(session: Session, *, candidate_id) -> list[schemas.Ticket]:
    """The candidate's own tickets, newest first."""
    if not isinstance(candidate_id, str):
        return []
    tickets = session.execute(
        select(SupportTicket)
        .where(SupportTicket.candidate_id == candidate_id.strip().upper())
        .order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
    ).scalars()
    return [ticket_reply(ticket) for ticket in tickets]


def staff_list_tickets(session: Session, *, status=None) -> list[schemas.Ticket]:
    """Open tickets oldest first (a queue); decided ones newest first."""
    query = select(SupportTicket)
    if status is not None:
        query = query.where(SupportTicket.status == str(status))
    if status == "open":
        query = query.order_by(SupportTicket.created_at, SupportTicket.id)
    else:
        query = query.order_by(SupportTicket.created_at.desc(), SupportTicket.id.desc())
    return [ticket_reply(ticket) for ticket in session.execute(query.limit(500)).scalars()]


def _ticket(session: Session, ticket_id, lock: bool = False) -> SupportTicket:
    try:
        wanted = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound("ticket") from None
    query = select(SupportTicket).where(SupportTicket.id == wanted)
    ticket = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if ticket is None:
        raise NotFound("ticket")
    return ticket


def staff_get_ticket(session: Session, *, ticket_id) -> schemas.Ticket:
    return ticket_reply(_ticket(session, ticket_id))


def staff_get_ticket_document(session: Session, documents, *, ticket_id) -> schemas.TicketDocument:
    ticket = _ticket(session, ticket_id)
    data = documents.load(ticket.document_key) if ticket.document_key else None
    if data is None:
        raise NotFound("document")
    return schemas.TicketDocument(
        filename=ticket.document_filename or "document",
        content_type=ticket.document_content_type,
        data_b64=base64.b64encode(data).decode("ascii"),
    )


def staff_decide_ticket(session: Session, outbox, documents, clock, *, ticket_id, staff_id,
                        decision, reason=None) -> schemas.Ticket:
    """Approve (name updated, event, mail) or reject with a reason (mail);
    either way the document is deleted once the decision is committed."""
    now = clock()
    staff = require_staff(session, staff_id)
    ticket = _ticket(session, ticket_id, lock=True)
    if ticket.status != "open":
        raise TicketAlreadyDecided(ticket.status)
    outcome = DECISIONS.get(_text(decision).lower())
    if outcome is None:
        raise InvalidDecision({"decision": "Choose approve or reject."})
    why = _text(reason)
    if outcome == "rejected" and not why:
        raise InvalidDecision({"reason": "Give the candidate a reason for the rejection."})
    if len(why) > MAX_REASON:
        raise InvalidDecision({"reason": f"Use at most {MAX_REASON} characters."})

    candidate = get_candidate(session, ticket.candidate_id, lock=True)
    if outcome == "approved":
        candidate.first_name = ticket.requested_first_name
        candidate.last_name = ticket.requested_last_name
        candidate.updated_at = now
        publish_profile_updated(outbox, candidate, ["first_name", "last_name"], now)
        mails.send(outbox, "name_change_approved", candidate.email, ticket_id=ticket.id,
                   **mails.candidate_context(candidate))
    else:
        mails.send(outbox, "name_change_rejected", candidate.email, ticket_id=ticket.id,
                   decision_reason=why, **mails.candidate_context(candidate))
    ticket.status = outcome
    ticket.decision_reason = why or None
    ticket.decided_by = staff.id
    ticket.decided_at = now
    key, ticket.document_key = ticket.document_key, None
    session.flush()
    if key:
        when_transaction_ends(session, committed=lambda: documents.delete(key))
    log.info("ticket %s %s by staff %s", ticket.id, outcome, staff.id)
    return ticket_reply(ticket)
