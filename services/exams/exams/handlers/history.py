"""A candidate's testing history, as the site and the API show it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exams.models import Sitting
from exams.schemas import SittingView, TestingHistory


def testing_history(session: Session, candidate_id: str) -> TestingHistory:
    sittings = session.scalars(
        select(Sitting)
        .where(Sitting.candidate_id == candidate_id)
        .order_by(Sitting.taken_at.desc(), Sitting.id.desc())
    ).all()
    return TestingHistory(items=[_view(s) for s in sittings])


def _view(sitting: Sitting) -> SittingView:
    return SittingView(
        id=sitting.id, exam_code=sitting.exam_code, exam_title=sitting.exam_title,
        taken_at=sitting.taken_at, score=sitting.score, passing_score=sitting.passing_score,
        result=sitting.result, registration_number=sitting.registration_number,
        vendor=sitting.vendor,
        test_center={"id": sitting.test_center_id, "name": sitting.test_center_name,
                     "country": sitting.test_center_country},
        revoked=sitting.revoked, revoked_reason=sitting.revoked_reason,
        revoked_at=sitting.revoked_at, corrected=sitting.corrections > 0,
    )
