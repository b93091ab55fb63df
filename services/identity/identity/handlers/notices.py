"""Mails identity sends on other services' news (it owns the addresses)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from certtrack_shared.consumer import PoisonMessage
from certtrack_shared.contracts.exams import ExamResultsAvailableV1

from identity import mails
from identity.models import Candidate


def handle_exam_results_available(session: Session, outbox, event: ExamResultsAvailableV1) -> None:
    """Tell the candidate new results can be seen (no scores in the mail)."""
    candidate = session.get(Candidate, event.candidate_id)
    if candidate is None:
        raise PoisonMessage(f"no candidate {event.candidate_id!r}")
    codes = sorted(set(event.exam_codes))
    mails.send(outbox, "exam_results_available", candidate.email, exam_codes=codes,
               **mails.candidate_context(candidate))
