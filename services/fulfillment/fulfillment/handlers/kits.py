"""What a candidate may claim or buy: projections of certs' and identity's
events, and the initial-kit entitlement.

Certification events may come twice or out of order; each carries the whole
standing and a `revision`, so the projection keeps the highest revision and
ignores the rest. The entitlement is not part of that projection: it is
granted by the one `certification_achieved` with `first_achievement` true,
once (unique per candidate and certification), whatever its revision — a
reordered later event must not take back a kit already granted.

The congratulation mail needs the candidate's address, which comes from
identity's events; whichever of the two arrives second sends it. Both
handlers first take the candidate's lock (`lock_candidate`), so that one
always sees what the other committed: without it, each ran while the other
had not committed yet, neither saw the other, and the mail was never sent.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.locks import advisory_lock

from fulfillment import mails
from fulfillment.models import Candidate, Certification, Entitlement
from fulfillment.schemas import (
    EntitlementView, FulfillmentOverview, KitItemView, PurchasableKit,
)


def lock_candidate(session: Session, candidate_id: str) -> None:
    """Serialise this candidate's projection updates until the transaction ends. A row
    cannot be locked before it exists, hence an advisory lock."""
    advisory_lock(session, "fulfillment-candidate", candidate_id)


def record_candidate(session: Session, outbox, event, now: datetime) -> None:
    """identity's candidate_registered / candidate_profile_updated: the name and email for mails."""
    lock_candidate(session, event.candidate_id)
    candidate = session.get(Candidate, event.candidate_id, with_for_update=True)
    if candidate is None:
        candidate = Candidate(candidate_id=event.candidate_id)
        session.add(candidate)
    candidate.first_name, candidate.last_name = event.first_name, event.last_name
    candidate.email = str(event.email)
    candidate.updated_at = now
    session.flush()
    # Congratulations that waited for this candidate's email address.
    waiting = session.scalars(select(Entitlement).where(
        Entitlement.candidate_id == candidate.candidate_id, Entitlement.congratulated_at.is_(None))).all()
    for entitlement in waiting:
        _congratulate(session, outbox, entitlement, candidate, now)


def record_certification(session: Session, outbox, event, now: datetime) -> None:
    """Any certification event: keep the latest standing; a first achievement grants the kit."""
    lock_candidate(session, event.candidate_id)
    key = (event.candidate_id, event.certification_id)
    row = session.get(Certification, key, with_for_update=True)
    kit = [item.model_dump() for item in getattr(event, "kit", None) or []]
    if row is None:
        row = Certification(candidate_id=event.candidate_id, certification_id=event.certification_id,
                            revision=0, kit=[])
        session.add(row)
    if event.revision > row.revision:
        row.name, row.status, row.revision, row.updated_at = (
            event.certification_name, event.status, event.revision, now)
        if kit:
            row.kit = kit
    elif kit and not row.kit:
        row.kit = kit  # an older achievement still tells us the kit we had not seen
    if getattr(event, "first_achievement", False):
        grant_initial_kit(session, outbox, event, now)


def grant_initial_kit(session: Session, outbox, event, now: datetime) -> Entitlement | None:
    """The free initial kit of a first achievement, granted once; None if already granted or no kit."""
    items = [{"sku": item.sku, "description": item.description, "quantity": 1}
             for item in event.kit if item.initial]
    if not items:
        return None
    existing = session.scalar(select(Entitlement).where(
        Entitlement.candidate_id == event.candidate_id,
        Entitlement.certification_id == event.certification_id))
    if existing is not None:
        return None
    entitlement = Entitlement(
        candidate_id=event.candidate_id, certification_id=event.certification_id,
        certification_name=event.certification_name, items=items, granted_at=now,
        granted_by_event=event.event_id)
    session.add(entitlement)
    session.flush()
    candidate = session.get(Candidate, event.candidate_id)
    if candidate is not None:
        _congratulate(session, outbox, entitlement, candidate, now)
    return entitlement


def _congratulate(session, outbox, entitlement: Entitlement, candidate: Candidate, now: datetime) -> None:
    mails.send(outbox, "kit_granted", candidate.email, first_name=candidate.first_name,
               certification_name=entitlement.certification_name, items=entitlement.items)
    entitlement.congratulated_at = now


def claimable(entitlement: Entitlement, certification: Certification | None) -> bool:
    """Unclaimed, and the certification not revoked: a kit once earned stays
    claimable after the certification expires, but not once it was taken away."""
    return entitlement.order_id is None and (certification is None or certification.status != "revoked")


def overview(session: Session, candidate_id: str, tracked_fee_cents: int, currency: str) -> FulfillmentOverview:
    certifications = {
        row.certification_id: row
        for row in session.scalars(select(Certification).where(Certification.candidate_id == candidate_id))
    }
    entitlements = session.scalars(
        select(Entitlement).where(Entitlement.candidate_id == candidate_id).order_by(Entitlement.id)).all()
    return FulfillmentOverview(
        entitlements=[
            EntitlementView(
                certification_id=e.certification_id, certification_name=e.certification_name,
                items=e.items, granted_at=e.granted_at, order_id=e.order_id,
                claimable=claimable(e, certifications.get(e.certification_id)), price_cents=0)
            for e in entitlements
        ],
        purchasable=[
            PurchasableKit(
                certification_id=c.certification_id, certification_name=c.name,
                items=[KitItemView(sku=i["sku"], description=i["description"], price_cents=i["price_cents"])
                       for i in c.kit if i["price_cents"] > 0])
            for c in sorted(certifications.values(), key=lambda c: c.name)
            if c.status == "active" and any(i["price_cents"] > 0 for i in c.kit)
        ],
        tracked_shipping_fee_cents=tracked_fee_cents,
        currency=currency,
    )
