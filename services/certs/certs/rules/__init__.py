"""The certification rules engine: pure functions over dated facts.

    evaluate(catalog, sittings, ce_activities, course_completions, as_of=day) -> Evaluation
"""
from certs.rules.dates import add_years, expiry
from certs.rules.engine import evaluate
from certs.rules.facts import CeActivity, CourseCompletion, Sitting
from certs.rules.results import (
    CeBalance,
    CertificationStanding,
    Evaluation,
    HistoryEntry,
    PathProgress,
    RequirementProgress,
)

__all__ = [
    "CeActivity",
    "CeBalance",
    "CertificationStanding",
    "CourseCompletion",
    "Evaluation",
    "HistoryEntry",
    "PathProgress",
    "RequirementProgress",
    "Sitting",
    "add_years",
    "evaluate",
    "expiry",
]
