"""Builders for the certs unit tests (imported as `services.certs.tests.support`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import count

from certs.catalog import load_catalogs
from certs.rules import CeActivity, CourseCompletion, Evaluation, Sitting, evaluate

CATALOGS = load_catalogs()


@dataclass(frozen=True)
class ExamFact:
    code: str
    on: str
    passed: bool = True
    revoked: bool = False


@dataclass(frozen=True)
class CeFact:
    credits: int
    on: str


@dataclass(frozen=True)
class CourseFact:
    certification_id: str
    on: str


def passed(code: str, on: str) -> ExamFact:
    return ExamFact(code, on)


def failed(code: str, on: str) -> ExamFact:
    return ExamFact(code, on, passed=False)


def revoked(code: str, on: str) -> ExamFact:
    return ExamFact(code, on, revoked=True)


def ce(credits: int, on: str) -> CeFact:
    return CeFact(credits, on)


def course(certification_id: str, on: str) -> CourseFact:
    return CourseFact(certification_id, on)


def facts(*entries) -> dict:
    """The keyword arguments of `evaluate` for these facts; ids count from 1 in order."""
    ids = count(1)
    return {
        "sittings": [
            Sitting(sitting_id=next(ids), exam_code=e.code, taken_on=date.fromisoformat(e.on),
                    passed=e.passed, revoked=e.revoked)
            for e in entries
            if isinstance(e, ExamFact)
        ],
        "ce_activities": [
            CeActivity(activity_id=next(ids), credits=e.credits, completed_on=date.fromisoformat(e.on))
            for e in entries
            if isinstance(e, CeFact)
        ],
        "course_completions": [
            CourseCompletion(completion_id=next(ids), certification_id=e.certification_id,
                             completed_on=date.fromisoformat(e.on))
            for e in entries
            if isinstance(e, CourseFact)
        ],
    }


def standing_of(program: str, entries, as_of: str) -> Evaluation:
    return evaluate(CATALOGS[program], **facts(*entries), as_of=date.fromisoformat(as_of))


def summary(evaluation: Evaluation, certification_id: str) -> tuple:
    """(status, active_on, expires_on) as ISO strings or None."""
    standing = evaluation.certification(certification_id)
    iso = lambda day: day.isoformat() if day else None  # noqa: E731
    return standing.status, iso(standing.active_on), iso(standing.expires_on)
