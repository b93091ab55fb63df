"""Mails identity sends on other services' news (it owns the addresses).

New exam results: one mail per import, not one per result. A vendor's
import arrives as a burst of `exam_results_available` events (one per
sitting, each its own message), so each event only adds its exam codes to
the candidate's waiting notice (`result_notices`), and the notice is mailed
once the burst is over: `quiet` after its latest result, but never later
than `longest_wait` after its first, so a steady trickle of results still
reaches the candidate. `mail_due_result_notices` (identity's timer) sends
what is due; each notice is mailed and deleted in one transaction, and rows
are taken with SKIP LOCKED, so two identity processes never mail one twice.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.contracts.exams import ExamResultsAvailableV1
from certtrack_shared.tracing import correlation

from identity import mails
from identity.models import Candidate, ResultNotice

QUIET = timedelta(seconds=60)
LONGEST_WAIT = timedelta(minutes=15)
# Notices mailed per timer tick; the rest wait for the next tick.
BATCH = 100
# Correlation ids kept per notice: enough to find a burst's mail by any of
# them in practice, bounded whatever a vendor sends.
KEPT_CORRELATIONS = 50

log = logging.getLogger(__name__)


def handle_exam_results_available(session: Session, clock: Clock, event: ExamResultsAvailableV1, *,
                                  quiet: timedelta = QUIET, longest_wait: timedelta = LONGEST_WAIT) -> None:
    """Add the event's exam codes to the candidate's waiting notice (no scores are ever mailed).

    Two events for one candidate at once: both may try to insert the notice; the
    loser's unique-key error sends its message round the consumer's retry, and
    the retry finds the row and adds to it.
    """
    if session.get(Candidate, event.candidate_id) is None:
        raise PoisonMessage(f"no candidate {event.candidate_id!r}")
    now = clock()
    notice = session.scalars(
        select(ResultNotice).where(ResultNotice.candidate_id == event.candidate_id).with_for_update()
    ).first()
    current = [correlation.current()] if correlation.current() else []
    if notice is None:
        session.add(ResultNotice(candidate_id=event.candidate_id, exam_codes=sorted(set(event.exam_codes)),
                                 first_seen_at=now, due_at=now + min(quiet, longest_wait),
                                 correlation_ids=current))
        session.flush()
        return
    notice.exam_codes = sorted(set(notice.exam_codes) | set(event.exam_codes))
    notice.due_at = min(now + quiet, notice.first_seen_at + longest_wait)
    known = list(notice.correlation_ids or [])
    notice.correlation_ids = (known + [c for c in current if c not in known])[:KEPT_CORRELATIONS]


def mail_due_result_notices(session: Session, outbox, clock: Clock, *, batch: int = BATCH) -> int:
    """Mail every waiting notice that is due (up to `batch`); how many were mailed."""
    due = session.scalars(
        select(ResultNotice).where(ResultNotice.due_at <= clock())
        .order_by(ResultNotice.due_at).limit(batch).with_for_update(skip_locked=True)
    ).all()
    for notice in due:
        correlation_ids = list(notice.correlation_ids or [])
        # The mail goes out in the first result's correlation; this line names them all.
        with correlation.bound(correlation_ids[0] if correlation_ids else correlation.current()):
            log.info("mailing the result notice of %s", notice.candidate_id,
                     extra={"candidate_id": notice.candidate_id, "correlation_ids": correlation_ids})
            candidate = session.get(Candidate, notice.candidate_id)
            # The address as it is now: a change since the results came in is respected.
            mails.send(outbox, "exam_results_available", candidate.email,
                       exam_codes=list(notice.exam_codes), **mails.candidate_context(candidate))
        session.delete(notice)
    session.flush()
    return len(due)
