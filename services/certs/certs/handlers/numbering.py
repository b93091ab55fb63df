"""Expert numbers: a candidate's first CCIE (or CCDE) gets the next number of
its series, for life.

One number per person and series, whichever track earned it (as Cisco
does): a second CCIE track, or the same one earned again after expiry,
keeps the number. The counter only moves forward, so a number is never
reused, also when the certification that earned it is later revoked.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.contracts.certs import ExpertNumberAssignedV1

from certs.models import ExpertNumber, ExpertSeries

# Which certification ids of which program belong to a numbered series.
SERIES_BY_PREFIX = {"cisco": (("ccie_", "CCIE"), ("ccde_", "CCDE"))}


def series_of(program: str, certification_id: str) -> str | None:
    for prefix, series in SERIES_BY_PREFIX.get(program, ()):
        if certification_id.startswith(prefix) or certification_id == prefix.rstrip("_"):
            return series
    return None


def expert_numbers(session: Session, candidate_id: str) -> dict[str, int]:
    rows = session.scalars(select(ExpertNumber).where(ExpertNumber.candidate_id == candidate_id)).all()
    return {row.series: row.number for row in rows}


def assign(session: Session, outbox, candidate_id: str, program: str, certification_id: str,
           now: datetime) -> int | None:
    """The number newly assigned (and announced), or None when none is due."""
    series = series_of(program, certification_id)
    if series is None:
        return None
    held = session.scalars(select(ExpertNumber).where(
        ExpertNumber.candidate_id == candidate_id, ExpertNumber.series == series)).first()
    if held is not None:
        return None
    counter = session.get(ExpertSeries, series, with_for_update=True)
    if counter is None:  # a series added to SERIES_BY_PREFIX without a migration row
        counter = ExpertSeries(series=series, next_number=1)
        session.add(counter)
    number = counter.next_number
    counter.next_number = number + 1
    session.add(ExpertNumber(candidate_id=candidate_id, series=series, number=number,
                             certification_id=certification_id, assigned_at=now))
    session.flush()
    outbox.publish(ExpertNumberAssignedV1(
        schema_version=1, event_id=f"certs-{uuid.uuid4()}", occurred_at=now,
        candidate_id=candidate_id, series=series, number=str(number)))
    return number
