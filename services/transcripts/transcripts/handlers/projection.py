"""The verification projection: what a transcript shows, kept current from events.

Verification must stay up when other services are slow, so it reads only
these tables, never another service. Each table converges whatever the order
or number of deliveries:

- certifications (certs.events): the event carries the whole standing and a
  `revision`; the row is upserted only when the incoming revision is higher
  than the stored one (one statement, so two workers racing on the same key
  cannot regress it);
- sittings (exams.events): `exam_passed` / `exam_failed` carry the sitting's
  current result and are re-sent after a correction, so the newest
  `occurred_at` wins; `sitting_revoked` is final (a withdrawn result never
  comes back), so a late pass cannot un-revoke it;
- candidates (identity.events): name and email, newest `occurred_at` wins.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from transcripts.models import Candidate, Certification, Sitting

PLACEHOLDER_AS_OF = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _insert(session: Session, model):
    """INSERT … ON CONFLICT for the session's database (PostgreSQL, or SQLite in development)."""
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(model)


def record_certification(session: Session, event) -> None:
    """Any certification event: keep it if its revision is the highest seen."""
    values = {
        "candidate_id": event.candidate_id, "certification_id": event.certification_id,
        "name": event.certification_name, "program": event.program, "status": event.status,
        "started_on": event.started_on, "active_on": event.active_on,
        "expires_on": event.expires_on, "revision": event.revision,
    }
    statement = _insert(session, Certification).values(**values)
    table = Certification.__table__
    session.execute(statement.on_conflict_do_update(
        index_elements=["candidate_id", "certification_id"],
        set_={key: statement.excluded[key] for key in values
              if key not in ("candidate_id", "certification_id")},
        where=table.c.revision < statement.excluded.revision,
    ))


def record_sitting_result(session: Session, event, result: str) -> None:
    """`exam_passed` / `exam_failed`: the sitting's current result, newest announcement wins."""
    values = {
        "sitting_id": event.sitting_id, "candidate_id": event.candidate_id,
        "exam_code": event.exam_code, "exam_title": event.exam_title,
        "taken_at": event.taken_at, "result": result, "revoked": False, "as_of": event.occurred_at,
    }
    statement = _insert(session, Sitting).values(**values)
    table = Sitting.__table__
    session.execute(statement.on_conflict_do_update(
        index_elements=["sitting_id"],
        # `revoked` is left as it is: a revocation is final.
        set_={key: statement.excluded[key]
              for key in ("candidate_id", "exam_code", "exam_title", "taken_at", "result", "as_of")},
        where=table.c.as_of < statement.excluded.as_of,
    ))


def record_sitting_revoked(session: Session, event) -> None:
    """`sitting_revoked`: the result no longer counts; kept revoked for good.

    If the revocation overtook the result it withdraws, a placeholder row
    holds the revocation and the result, when it comes, fills in the rest.
    """
    statement = _insert(session, Sitting).values(
        sitting_id=event.sitting_id, candidate_id=event.candidate_id, exam_code=event.exam_code,
        exam_title=event.exam_code, taken_at=event.revoked_at, result="fail", revoked=True,
        # Older than any real announcement, so that the result's own still fills in the row.
        as_of=PLACEHOLDER_AS_OF,
    )
    session.execute(statement.on_conflict_do_update(
        index_elements=["sitting_id"], set_={"revoked": True}))


def record_candidate(session: Session, event) -> None:
    """`candidate_registered` / `candidate_profile_updated`: the newest name and email."""
    values = {
        "candidate_id": event.candidate_id, "first_name": event.first_name,
        "last_name": event.last_name, "email": str(event.email), "as_of": event.occurred_at,
    }
    statement = _insert(session, Candidate).values(**values)
    table = Candidate.__table__
    session.execute(statement.on_conflict_do_update(
        index_elements=["candidate_id"],
        set_={key: statement.excluded[key] for key in ("first_name", "last_name", "email", "as_of")},
        where=table.c.as_of < statement.excluded.as_of,
    ))
