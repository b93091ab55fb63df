"""evaluate(): every certification of a program for one candidate, as of a day.

Pure: the same catalog, facts and day always give the same answer, whatever
the order of the facts. See docs/decisions/0004-certification-rules.md.
"""
from __future__ import annotations

from datetime import date
from typing import Iterable

from certs.catalog.expressions import CeCredits, walk
from certs.catalog.model import Catalog, Certification
from certs.rules.describe import describe
from certs.rules.facts import CeActivity, CourseCompletion, Sitting
from certs.rules.matching import Outcome, match, match_each
from certs.rules.pools import Facts, earning_window, pool, renewal_window
from certs.rules.replay import CertificationState, Replay, requirement_items
from certs.rules.results import (
    CeBalance,
    CertificationStanding,
    Evaluation,
    HistoryEntry,
    PathProgress,
    RequirementProgress,
)


def evaluate(
    catalog: Catalog,
    sittings: Iterable[Sitting],
    ce_activities: Iterable[CeActivity] = (),
    course_completions: Iterable[CourseCompletion] = (),
    *,
    as_of: date,
) -> Evaluation:
    """The standing of every certification of `catalog` on `as_of`.

    Sittings of exams outside the catalog, failed sittings and facts dated
    after `as_of` count toward nothing. A certification is `revoked` when it
    would have been achieved had the revoked sittings stood, and is not.
    """
    sittings, ce_activities, course_completions = list(sittings), list(ce_activities), list(course_completions)
    facts = Facts.of(catalog, sittings, ce_activities, course_completions)
    real = Replay(catalog, facts, as_of)
    ghost = None
    if any(s.passed and s.revoked for s in sittings):
        as_if_never_revoked = Facts.of(catalog, sittings, ce_activities, course_completions, include_revoked=True)
        ghost = Replay(catalog, as_if_never_revoked, as_of)
    revoked_ids = {s.sitting_id for s in sittings if s.revoked}
    return Evaluation(
        program=catalog.program,
        as_of=as_of,
        certifications=[_standing(cert, real, ghost, revoked_ids) for cert in catalog.certifications],
        ce_activities=[
            CeBalance(activity_id=a.activity_id, credits=a.credits, remaining=real.ce_left[a.activity_id])
            for a in facts.ce_activities
        ],
    )


def _standing(cert: Certification, real: Replay, ghost: Replay | None, revoked_ids: set[int]) -> CertificationStanding:
    state = real.states[cert.id]
    ghost_state = ghost.states[cert.id] if ghost else None
    history = list(state.history)
    if state.active:
        status, active_on, expires_on = "active", state.period_start, state.expires_on
        progress = _progress(cert, real, state.achievement)
    else:
        progress = _progress(cert, real, _earning_now(cert, real, state))
        if state.ever_achieved:
            last = _last_period_start(state)
            status, active_on, expires_on = "expired", last, state.lapsed_on
        elif ghost_state is not None and ghost_state.ever_achieved:
            status, active_on, expires_on = "revoked", None, None
            # What had earned it is not history any more; the entry names the revoked sittings it counted.
            history = [HistoryEntry(
                event="revoked",
                on=None,
                sitting_ids=sorted({i for e in ghost_state.history for i in e.sitting_ids} & revoked_ids),
            )]
        else:
            status, active_on, expires_on = "in_progress", None, None
    if status in ("active", "expired"):
        started_on = state.started_on
    else:
        started_on = min((_first(p, real) for p in progress if p.sitting_ids or p.course_ids), default=None)
    covering = real.covering(cert) if status == "active" else None
    paths = _paths(cert, real, state, covering) if status == "active" else []
    summary = [p.still_needed for p in paths if p.deferred_to is None]
    if covering is not None:
        summary.append(f"recertifying {covering.name}")
    return CertificationStanding(
        id=cert.id,
        name=cert.name,
        level=cert.level,
        track=cert.track,
        status=status,
        started_on=started_on,
        active_on=active_on,
        expires_on=expires_on,
        progress=progress,
        recertification=paths,
        recertification_summary=", or ".join(summary) or None,
        ce_credits_available=_renewal_credits(cert, real, state) if status == "active" else 0,
        covered_by=covering.id if covering else None,
        history=history,
    )


def _earning_now(cert: Certification, real: Replay, state: CertificationState) -> list[Outcome]:
    window = earning_window(cert, real.as_of, state.lapsed_on)
    facts_pool, _ = pool(real.catalog, real.facts, window, real.ce_left, real.active_ids())
    return match_each(requirement_items(cert), facts_pool)


def _progress(cert: Certification, real: Replay, outcomes: list[Outcome]) -> list[RequirementProgress]:
    return [
        RequirementProgress(
            description=describe(item, real.catalog),
            met=outcome.met,
            still_needed=outcome.still_needed,
            sitting_ids=[s.sitting_id for s in outcome.sittings],
            course_ids=[c.completion_id for c in outcome.courses],
            met_on=outcome.completed_on if outcome.met else None,
        )
        for item, outcome in zip(requirement_items(cert), outcomes)
    ]


def _first(progress: RequirementProgress, real: Replay):
    days = [s.taken_on for s in real.facts.sittings if s.sitting_id in progress.sitting_ids]
    days += [c.completed_on for c in real.facts.courses if c.completion_id in progress.course_ids]
    return min(days)


def _paths(cert: Certification, real: Replay, state: CertificationState, covering) -> list[PathProgress]:
    if not cert.expires:
        return []
    window = renewal_window(state.period_start, real.as_of)
    facts_pool, _ = pool(real.catalog, real.facts, window, real.ce_left, real.active_ids())
    paths = []
    for path in cert.recertification:
        outcome = match(path.requires, facts_pool)
        paths.append(PathProgress(
            name=path.name,
            description=describe(path.requires, real.catalog),
            met=outcome.met,
            still_needed=outcome.still_needed or "nothing more",
            ce_credits_counted=outcome.ce_credits,
            sitting_ids=[s.sitting_id for s in outcome.sittings],
            deferred_to=covering.id if covering and _uses_credits(path.requires) else None,
        ))
    return paths


def _uses_credits(expression) -> bool:
    return any(isinstance(node, CeCredits) for _, node in walk(expression))


def _renewal_credits(cert: Certification, real: Replay, state: CertificationState) -> int:
    if not cert.expires:
        return 0
    window = renewal_window(state.period_start, real.as_of)
    return sum(real.ce_left[a.activity_id] for a in real.facts.ce_activities if window.holds(a.completed_on))


def _last_period_start(state: CertificationState):
    starts = [e.on for e in state.history if e.event in ("achieved", "recertified")]
    return starts[-1]
