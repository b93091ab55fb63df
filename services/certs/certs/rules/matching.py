"""Matching one expression against a pool of facts.

A pool holds only the facts that may count (the engine restricts it to the
right window first). Within one expression a sitting or course completion
counts at most once: the leaves of an `all_of` / `n_of` take facts in the
order they are written, each the earliest that fits. CE credits are a
budget: `ce_credits` leaves take from what the pool has, in order. A
`one_of` picks, among its met alternatives, the one taking the fewest CE
credits (ties: the first written).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from certs.catalog.expressions import (
    AllOf,
    AnyExamOfKind,
    CeCredits,
    CertificationActive,
    CourseCompletion,
    Exam,
    Expression,
    NOf,
    OneOf,
)
from certs.catalog.model import Catalog
from certs.rules import describe as words
from certs.rules.facts import CourseCompletion as Course
from certs.rules.facts import Sitting


@dataclass(frozen=True)
class Pool:
    catalog: Catalog
    sittings: tuple[Sitting, ...] = ()  # passed, not revoked, in the window; by (taken_on, id)
    courses: tuple[Course, ...] = ()
    ce_credits: int = 0
    active: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    met: bool
    sittings: tuple[Sitting, ...] = ()
    courses: tuple[Course, ...] = ()
    ce_credits: int = 0  # taken from the budget when met; counted toward it when not
    missing: tuple[str, ...] = field(default=())  # what remains, one phrase per unmet part

    @property
    def still_needed(self) -> str | None:
        return words.missing_all(list(self.missing)) if self.missing else None

    @property
    def completed_on(self) -> date | None:
        days = [s.taken_on for s in self.sittings] + [c.completed_on for c in self.courses]
        return max(days) if days else None

    @property
    def first_counted_on(self) -> date | None:
        days = [s.taken_on for s in self.sittings] + [c.completed_on for c in self.courses]
        return min(days) if days else None


@dataclass(frozen=True)
class _Taken:
    sittings: frozenset[int] = frozenset()
    courses: frozenset[int] = frozenset()
    ce_credits: int = 0

    def plus(self, outcome: Outcome) -> _Taken:
        return _Taken(
            self.sittings | {s.sitting_id for s in outcome.sittings},
            self.courses | {c.completion_id for c in outcome.courses},
            self.ce_credits + outcome.ce_credits,
        )


def match(expression: Expression, pool: Pool) -> Outcome:
    return _match(expression, pool, _Taken())


def match_each(expressions: list[Expression], pool: Pool) -> list[Outcome]:
    """Each expression in turn, as the items of one `all_of` (facts counted once)."""
    return _sequence(expressions, pool, _Taken())[0]


def _sequence(expressions, pool: Pool, taken: _Taken) -> tuple[list[Outcome], _Taken]:
    outcomes = []
    for expression in expressions:
        outcome = _match(expression, pool, taken)
        outcomes.append(outcome)
        taken = taken.plus(outcome)
    return outcomes, taken


def _match(expression: Expression, pool: Pool, taken: _Taken) -> Outcome:
    catalog = pool.catalog
    budget = pool.ce_credits - taken.ce_credits
    if isinstance(expression, Exam):
        for sitting in pool.sittings:
            if sitting.exam_code == expression.exam and sitting.sitting_id not in taken.sittings:
                return Outcome(True, sittings=(sitting,))
        return Outcome(False, missing=(words.missing_exam(expression.exam),))
    if isinstance(expression, AnyExamOfKind):
        selector = expression.any_exam_of_kind
        chosen: list[Sitting] = []
        for sitting in pool.sittings:
            exam = catalog.exam(sitting.exam_code)
            if (
                len(chosen) < selector.count
                and sitting.sitting_id not in taken.sittings
                and all(sitting.exam_code != c.exam_code for c in chosen)
                and (selector.kind is None or exam.kind in selector.kind)
                and (selector.level is None or exam.level in selector.level)
                and (selector.track is None or exam.track == selector.track)
            ):
                chosen.append(sitting)
        if len(chosen) == selector.count:
            return Outcome(True, sittings=tuple(chosen))
        still = words.missing_exams(selector, selector.count - len(chosen))
        return Outcome(False, sittings=tuple(chosen), missing=(still,))
    if isinstance(expression, CeCredits):
        if budget >= expression.ce_credits:
            return Outcome(True, ce_credits=expression.ce_credits)
        return Outcome(False, ce_credits=budget, missing=(words.missing_credits(expression.ce_credits, budget),))
    if isinstance(expression, CertificationActive):
        if expression.certification_active in pool.active:
            return Outcome(True)
        return Outcome(False, missing=(words.missing_certification(expression.certification_active, catalog),))
    if isinstance(expression, CourseCompletion):
        for course in pool.courses:
            if course.certification_id == expression.course_completion and course.completion_id not in taken.courses:
                return Outcome(True, courses=(course,))
        return Outcome(False, missing=(words.missing_course(expression.course_completion, catalog),))
    if isinstance(expression, AllOf):
        outcomes, _ = _sequence(expression.all_of, pool, taken)
        return _combined(all(o.met for o in outcomes), outcomes)
    if isinstance(expression, OneOf):
        return _one_of(expression, pool, taken)
    if isinstance(expression, NOf):
        return _n_of(expression, pool, taken)
    raise TypeError(expression)


def _one_of(expression: OneOf, pool: Pool, taken: _Taken) -> Outcome:
    outcomes = [_match(child, pool, taken) for child in expression.one_of]
    met = [o for o in outcomes if o.met]
    if met:
        return min(met, key=lambda o: o.ce_credits)  # min keeps the first of equals
    codes = words.exam_codes(expression)
    if codes:
        return Outcome(False, missing=("one of " + ", ".join(codes),))
    return Outcome(False, missing=(words.missing_one_of([o.still_needed for o in outcomes]),))


def _n_of(expression: NOf, pool: Pool, taken: _Taken) -> Outcome:
    body = expression.n_of
    counted: list[Outcome] = []
    unmet: list[Outcome] = []
    for child in body.of:
        if len(counted) == body.n:
            break
        outcome = _match(child, pool, taken)
        if outcome.met:
            counted.append(outcome)
            taken = taken.plus(outcome)
        else:
            unmet.append(outcome)
    if len(counted) == body.n:
        return _combined(True, counted)
    still = body.n - len(counted)
    phrase = f"{words.number(still)} {'more ' if counted else ''}of: " + "; ".join(o.still_needed for o in unmet)
    return replace(_combined(False, counted), missing=(phrase,))


def _combined(met: bool, outcomes: list[Outcome]) -> Outcome:
    return Outcome(
        met,
        sittings=tuple(s for o in outcomes for s in o.sittings),
        courses=tuple(c for o in outcomes for c in o.courses),
        ce_credits=sum(o.ce_credits for o in outcomes),
        missing=tuple(m for o in outcomes for m in o.missing),
    )
