"""Properties of the engine over random histories (hypothesis).

The engine never grants a certification (nor renews one) whose requirements
were not met: every `achieved` and `recertified` entry is re-checked by the
tiny independent checker below, which knows only the catalog's expressions
and the window rules of docs/decisions/0004. And evaluation is a function
of the facts: the same facts, in any order, give the same result.
"""
from __future__ import annotations

import random
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certs.catalog import expressions as ex
from certs.rules import CeActivity, CourseCompletion, Sitting, evaluate
from services.certs.tests.support import CATALOGS

RANK = {"entry": 0, "associate": 1, "specialist": 2, "professional": 3, "expert": 4}
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def histories(draw, program: str):
    catalog = CATALOGS[program]
    codes = [exam.code for exam in catalog.exams] + ["000-000"]
    days = st.dates(min_value=date(2018, 1, 1), max_value=date(2025, 12, 31))
    sittings = draw(st.lists(
        st.tuples(st.sampled_from(codes), days, st.booleans() | st.just(True), st.sampled_from([False] * 5 + [True])),
        max_size=14,
    ))
    credits = draw(st.lists(st.tuples(st.integers(1, 80), days), max_size=6))
    courses = draw(st.lists(st.tuples(st.sampled_from([c.id for c in catalog.certifications]), days), max_size=3))
    as_of = draw(days)
    return {
        "sittings": [
            Sitting(sitting_id=i, exam_code=c, taken_on=d, passed=p, revoked=r)
            for i, (c, d, p, r) in enumerate(sittings, 1)
        ],
        "ce_activities": [
            CeActivity(activity_id=i, credits=n, completed_on=d) for i, (n, d) in enumerate(credits, 100)
        ],
        "course_completions": [
            CourseCompletion(completion_id=i, certification_id=c, completed_on=d) for i, (c, d) in enumerate(courses, 200)
        ],
    }, as_of


def later(day: date, years: int) -> date:
    """`day` moved `years` on; Feb 29 becomes Feb 28 (written apart from the engine's on purpose)."""
    if day.month == 2 and day.day == 29 and not _leap(day.year + years):
        return date(day.year + years, 2, 28)
    return date(day.year + years, day.month, day.day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def holds(expression, catalog, exams: set[str], credits: int, courses: set[str], active: set[str]) -> bool:
    """Whether the expression can be met by these exam codes (distinct), this many
    credits, these course mappings and these active certifications. Looser than
    the engine (facts may be shared between leaves): a necessary condition."""
    if isinstance(expression, ex.Exam):
        return expression.exam in exams
    if isinstance(expression, ex.AnyExamOfKind):
        sel = expression.any_exam_of_kind
        fitting = [
            code for code in exams
            if (sel.kind is None or catalog.exam(code).kind in sel.kind)
            and (sel.level is None or catalog.exam(code).level in sel.level)
            and (sel.track is None or catalog.exam(code).track == sel.track)
        ]
        return len(fitting) >= sel.count
    if isinstance(expression, ex.CeCredits):
        return credits >= expression.ce_credits
    if isinstance(expression, ex.CertificationActive):
        return expression.certification_active in active
    if isinstance(expression, ex.CourseCompletion):
        return expression.course_completion in courses
    parts = [holds(child, catalog, exams, credits, courses, active) for child in ex.children(expression)]
    if isinstance(expression, ex.AllOf):
        return all(parts)
    if isinstance(expression, ex.OneOf):
        return any(parts)
    return sum(parts) >= expression.n_of.n


def periods(history) -> list[tuple[date, date | None]]:
    """[start, end) of every period in a history."""
    spans, start = [], None
    for entry in history:
        if entry.event in ("achieved", "recertified"):
            if start is not None:
                spans.append((start, entry.on))
            start, end = entry.on, entry.expires_on
        elif entry.event == "expired":
            spans.append((start, entry.on))
            start = None
    if start is not None:
        spans.append((start, end))
    return spans


def active_on(evaluation, day: date) -> set[str]:
    return {
        s.id for s in evaluation.certifications
        if any(begin <= day and (end is None or day < end) for begin, end in periods(s.history))
    }


def spent(entry, facts, window) -> int:
    """The credits an entry consumed, each from an activity completed inside `window`:
    a renewal (or achievement) must be possible with exactly what it consumed."""
    completed = {a.activity_id: a.completed_on for a in facts["ce_activities"]}
    assert all(window(completed[use.activity_id]) for use in entry.ce_used), "credits from outside the period"
    return sum(use.credits for use in entry.ce_used)


def check_history(catalog, cert, standing, facts, evaluation) -> None:
    counting = [
        s for s in facts["sittings"]
        if s.passed and not s.revoked and catalog.exam(s.exam_code) is not None
        and (catalog.exam(s.exam_code).retired_on is None or s.taken_on < catalog.exam(s.exam_code).retired_on)
    ]
    validity = cert.validity_years

    def gather(first, last, include_first=True, within=None):
        def inside(day):
            lower = first is None or (day >= first if include_first else day > first)
            return lower and day <= last and (within is None or later(day, within) > last)
        exams = {s.exam_code for s in counting if inside(s.taken_on)}
        credits = sum(a.credits for a in facts["ce_activities"] if inside(a.completed_on))
        courses = {c.certification_id for c in facts["course_completions"] if inside(c.completed_on)}
        return exams, credits, courses

    current: tuple[date, date | None] | None = None
    lapsed: date | None = None
    revoked_ids = {s.sitting_id for s in facts["sittings"] if s.revoked}
    for entry in standing.history:
        assert not set(entry.sitting_ids) & revoked_ids, "a revoked sitting counted"
        if entry.event == "achieved":
            assert current is None, "achieved while already active"
            exams, credits, courses = gather(lapsed, entry.on, within=validity)
            active = active_on(evaluation, entry.on)
            credits = spent(entry, facts, lambda day: (lapsed is None or day >= lapsed) and day <= entry.on)
            assert holds(cert.requirements, catalog, exams, credits, courses, active), f"{cert.id} granted unmet on {entry.on}"
            assert set(cert.prerequisites) <= active, f"{cert.id} granted without its prerequisites"
        elif entry.event == "recertified":
            assert current is not None, "recertified while not active"
            start, end = current
            assert start < entry.on and (end is None or entry.on < end), "renewed outside its period"
            if entry.renewed_by:
                renewer = evaluation.certification(entry.renewed_by)
                assert RANK[renewer.level] >= RANK[cert.level]
                assert any(e.on == entry.on and e.event in ("achieved", "recertified") for e in renewer.history)
            else:
                path = next(p for p in cert.recertification if p.name == entry.path)
                exams, credits, courses = gather(start, entry.on, include_first=False)
                credits = spent(entry, facts, lambda day: start < day <= entry.on)
                assert holds(path.requires, catalog, exams, credits, courses, active_on(evaluation, entry.on))
        else:
            assert entry.event == "expired" and current is not None and entry.on == current[1]
            lapsed, current = entry.on, None
            continue
        expected_end = None if validity is None else later(entry.on, validity)
        assert entry.expires_on == expected_end
        current = (entry.on, expected_end)

    if standing.status == "active":
        assert current is not None and standing.active_on == current[0] and standing.expires_on == current[1]
        assert standing.active_on <= evaluation.as_of and (current[1] is None or evaluation.as_of < current[1])
    elif standing.status == "expired":
        assert current is None and standing.history[-1].event == "expired" and standing.expires_on <= evaluation.as_of
    elif standing.status == "in_progress":
        assert standing.history == [] and standing.active_on is None


def check(program: str, facts: dict, as_of: date) -> None:
    catalog = CATALOGS[program]
    evaluation = evaluate(catalog, **facts, as_of=as_of)
    for cert in catalog.certifications:
        standing = evaluation.certification(cert.id)
        if standing.status == "revoked":
            assert [e.event for e in standing.history] == ["revoked"]
            assert any(s.revoked and s.passed for s in facts["sittings"])
            continue
        check_history(catalog, cert, standing, facts, evaluation)
    used: dict[int, int] = {}
    for standing in evaluation.certifications:
        for entry in standing.history:
            for use in entry.ce_used:
                used[use.activity_id] = used.get(use.activity_id, 0) + use.credits
    for balance in evaluation.ce_activities:
        assert 0 <= balance.remaining == balance.credits - used.get(balance.activity_id, 0)


@PROPERTY_SETTINGS
@given(histories("cisco"))
def test_cisco_engine_never_grants_what_was_not_earned(history):
    facts, as_of = history
    check("cisco", facts, as_of)


@PROPERTY_SETTINGS
@given(histories("juniper"))
def test_juniper_engine_never_grants_what_was_not_earned(history):
    facts, as_of = history
    check("juniper", facts, as_of)


@PROPERTY_SETTINGS
@given(st.sampled_from(["cisco", "juniper"]).flatmap(lambda p: st.tuples(st.just(p), histories(p))), st.randoms())
def test_same_facts_in_any_order_give_the_same_result(program_history, rnd: random.Random):
    program, (facts, as_of) = program_history
    catalog = CATALOGS[program]
    first = evaluate(catalog, **facts, as_of=as_of)
    assert evaluate(catalog, **facts, as_of=as_of) == first
    shuffled = {key: rnd.sample(values, len(values)) for key, values in facts.items()}
    assert evaluate(catalog, **shuffled, as_of=as_of) == first
