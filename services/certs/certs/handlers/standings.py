"""Re-evaluate a candidate and announce what changed.

The stored facts of a candidate (sittings, approved CE activities and
course completions) become the engine's inputs (`candidate_facts`); every
evaluation of one candidate holds its advisory lock (`lock_candidate`).

After every change of a candidate's facts (and on the daily run and a
catalog reload) the candidate is evaluated from *all* their facts as of the
clock's day, and every certification's (status, active_on, expires_on) is
compared with the last one published. Each difference is one event through
the outbox, in the caller's transaction, plus one mail:

| new status  | event                                                   |
|-------------|---------------------------------------------------------|
| active      | `certification_achieved` when the period was started by |
|             | an achievement, else `certification_recertified` (also |
|             | when a backdated renewal continues a period whose       |
|             | expiry was already announced)                           |
| expired     | `certification_expired`                                 |
| revoked     | `certification_revoked` (reason: the sittings' reasons) |
| in_progress | `certification_revoked` too: it was published as held   |
|             | and is no longer earned (a result corrected to a fail,  |
|             | a changed catalog) — its status says in_progress        |

Unchanged standings publish nothing, so a redelivered fact or a second
evaluation is silent. Every event carries the next `revision` of that
(candidate, certification); `first_achievement` is true only the first time
it was ever achieved. The first time a certification is active it gets its
certificate code (128 random bits, URL-safe), and a first CCIE/CCDE its
number (`numbering.py`).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.contracts.certs import (
    CertificationAchievedV1,
    CertificationExpiredV1,
    CertificationRecertifiedV1,
    CertificationRevokedV1,
    KitItemV1,
)
from certtrack_shared.locks import advisory_lock

from certs import mails
from certs.catalog import Catalog
from certs.catalog.loaded import LoadedCatalogs
from certs.exceptions import CandidateNotFound
from certs.handlers import numbering
from certs.models import Activity, Candidate, CandidateEvaluation, PublishedStanding, SittingRecord
from certs.rules import CeActivity, CertificationStanding, CourseCompletion, Evaluation, Sitting, evaluate

MAIL_OF_EVENT = {
    "certification_achieved": "certification_achieved",
    "certification_recertified": "certification_recertified",
    "certification_expired": "certification_expired",
    "certification_revoked": "certification_revoked",
}


@dataclass(frozen=True)
class Change:
    certification_id: str
    event_type: str
    status: str
    revision: int


def candidate_key(candidate_id: str) -> tuple[str, str]:
    """What `lock_candidate` locks (the parts of its key)."""
    return "certs-candidate", candidate_id


def lock_candidate(session: Session, candidate_id: str) -> None:
    """Serialise every evaluation of one candidate until the transaction ends.

    Two facts of one candidate handled at once would each evaluate without
    the other and each publish a diff against the same stored standing (two
    `certification_achieved`, one of them wrong). Rows cannot be locked
    before they exist, so take a transaction-scoped advisory lock first.
    """
    advisory_lock(session, *candidate_key(candidate_id))


def utc_day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


def candidate_facts(session: Session, candidate_id: str) -> dict:
    """The keyword arguments of `evaluate` for everything known about the candidate."""
    sittings = session.scalars(
        select(SittingRecord).where(SittingRecord.candidate_id == candidate_id,
                                    SittingRecord.taken_at.is_not(None))
    ).all()
    approved = session.scalars(
        select(Activity).where(Activity.candidate_id == candidate_id, Activity.status == "approved")
    ).all()
    return {
        "sittings": [
            Sitting(sitting_id=s.id, exam_code=s.exam_code, taken_on=utc_day(s.taken_at),
                    passed=s.passed, revoked=s.revoked)
            for s in sittings
        ],
        "ce_activities": [
            CeActivity(activity_id=a.id, credits=a.credits, completed_on=a.completed_on)
            for a in approved if a.kind == "ce" and a.credits
        ],
        "course_completions": [
            CourseCompletion(completion_id=a.id, certification_id=a.certification_id,
                             completed_on=a.completed_on)
            for a in approved if a.kind == "course" and a.certification_id
        ],
    }


def revocation_reasons(session: Session, sitting_ids) -> list[str]:
    if not sitting_ids:
        return []
    rows = session.scalars(select(SittingRecord.revoked_reason).where(SittingRecord.id.in_(list(sitting_ids)))).all()
    return sorted({reason for reason in rows if reason})


def new_certificate_code() -> str:
    """128 random bits, URL-safe (22 characters): unguessable, fits a QR code."""
    return secrets.token_urlsafe(16)


def evaluate_candidate(session: Session, catalogs: LoadedCatalogs, candidate: Candidate,
                       clock: Clock) -> Evaluation:
    catalog = catalogs.program(candidate.program)
    return evaluate(catalog, **candidate_facts(session, candidate.candidate_id), as_of=clock.today())


def get_candidate(session: Session, candidate_id: str) -> Candidate:
    candidate = session.get(Candidate, candidate_id) if isinstance(candidate_id, str) else None
    if candidate is None:
        raise CandidateNotFound({"candidate_id": str(candidate_id)[:40]},
                                message="No certification record for this candidate.")
    return candidate


def published(session: Session, candidate_id: str) -> dict[str, PublishedStanding]:
    rows = session.scalars(
        select(PublishedStanding).where(PublishedStanding.candidate_id == candidate_id)
    ).all()
    return {row.certification_id: row for row in rows}


def reevaluate(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock,
               candidate_id: str) -> list[Change]:
    """Evaluate, diff against what was published, announce the differences."""
    lock_candidate(session, candidate_id)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.program not in catalogs.by_program:
        return []
    catalog = catalogs.program(candidate.program)
    evaluation = evaluate_candidate(session, catalogs, candidate, clock)
    stored = published(session, candidate_id)
    now = clock.now()
    changes = []
    for standing in evaluation.certifications:
        row = stored.get(standing.id)
        if _same(row, standing):
            continue
        changes.append(_announce(session, outbox, catalog, candidate, standing, row, now))
    _keep(session, candidate, evaluation, now)
    return changes


def _keep(session: Session, candidate: Candidate, evaluation: Evaluation, now: datetime) -> None:
    """Store the evaluation whose differences were just announced: what the candidate's pages read."""
    row = session.get(CandidateEvaluation, candidate.candidate_id)
    if row is None:
        row = CandidateEvaluation(candidate_id=candidate.candidate_id)
        session.add(row)
    row.program, row.as_of, row.evaluated_at = candidate.program, evaluation.as_of, now
    row.evaluation = evaluation.model_dump(mode="json")
    session.flush()


def current(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, candidate: Candidate) -> Evaluation:
    """The candidate's standings as last evaluated and announced (decision 0021).

    Read, never evaluated on a page view: the status a candidate sees is the
    one certs announced. Facts, the daily run and a catalog reload evaluate.
    A candidate without a kept evaluation that reads (known from identity
    only, evaluated before evaluations were kept, or kept in a shape this
    version no longer reads) is evaluated once here, announcing as any
    evaluation does.
    """
    catalogs.program(candidate.program)  # CertificationNotFound for a program without a catalog
    row = session.get(CandidateEvaluation, candidate.candidate_id)
    if row is not None and row.program == candidate.program:
        try:
            return Evaluation.model_validate(row.evaluation)
        except ValidationError:
            pass
    reevaluate(session, outbox, catalogs, clock, candidate.candidate_id)
    return Evaluation.model_validate(session.get(CandidateEvaluation, candidate.candidate_id).evaluation)


def _same(row: PublishedStanding | None, standing: CertificationStanding) -> bool:
    if row is None:
        return standing.status == "in_progress"
    if standing.status == "in_progress" and row.status == "in_progress":
        return True
    return (row.status, row.active_on, row.expires_on) == (
        standing.status, standing.active_on, standing.expires_on)


def _event_type(standing: CertificationStanding, row: PublishedStanding | None) -> str:
    if standing.status == "active":
        if row is None:
            return "certification_achieved"
        if row.status != "active":
            return "certification_recertified" if _renewal_of_published_holding(standing, row) \
                else "certification_achieved"
        last = standing.history[-1] if standing.history else None
        if row.active_on != standing.active_on and last is not None and last.event == "achieved":
            # Lapsed and earned again since last published, or (see _is_correction)
            # the same achievement re-dated by a late fact.
            return "certification_achieved"
        return "certification_recertified"  # a new period (or its end moved: a catalog change)
    if standing.status == "expired":
        return "certification_expired"
    return "certification_revoked"


def _renewal_of_published_holding(standing: CertificationStanding, row: PublishedStanding) -> bool:
    """Whether an active standing renews the period whose end was already announced.

    Credits approved after an expiry count by their completion date (0005), so
    a renewal can be dated before an expiry that was already published. The
    candidate then held the certification without a gap: the same holding
    (its last achievement on or before the announced period) goes on, and is
    announced as recertified, not achieved again.
    """
    if row.active_on is None or not standing.history or standing.history[-1].event != "recertified":
        return False
    achievements = [entry.on for entry in standing.history if entry.event == "achieved"]
    return bool(achievements) and achievements[-1] <= row.active_on


def _is_correction(event_type: str, standing: CertificationStanding,
                   row: PublishedStanding | None) -> bool:
    """An achievement that was already announced, now dated differently.

    Sittings arrive in any order: a pass dated before the one that achieved a
    certification can arrive later and move the achievement earlier (or a
    revoked sitting's twin can move it later). The candidate held it all
    along, so the projections get the corrected dates (a new revision) but
    the candidate gets no second "congratulations" mail and no second kit.
    Only a new period starting on or after the announced one's end is a
    lapse earned again.
    """
    if event_type != "certification_achieved" or row is None or row.status != "active":
        return False
    return row.expires_on is None or standing.active_on < row.expires_on


def _announce(session: Session, outbox, catalog: Catalog, candidate: Candidate,
              standing: CertificationStanding, row: PublishedStanding | None, now: datetime) -> Change:
    event_type = _event_type(standing, row)
    correction = _is_correction(event_type, standing, row)
    certification = catalog.certification(standing.id)
    if row is None:
        row = PublishedStanding(candidate_id=candidate.candidate_id, program=catalog.program,
                                certification_id=standing.id, revision=0, ever_achieved=False)
        session.add(row)
    first_achievement = event_type == "certification_achieved" and not row.ever_achieved
    row.revision += 1
    row.status = standing.status
    row.started_on, row.active_on, row.expires_on = standing.started_on, standing.active_on, standing.expires_on
    row.updated_at = now
    if standing.status == "active":
        row.ever_achieved = True
        if row.certificate_code is None:
            row.certificate_code = new_certificate_code()
    session.flush()

    common = dict(
        schema_version=1, event_id=f"certs-{uuid.uuid4()}", occurred_at=now,
        candidate_id=candidate.candidate_id, program=catalog.program, certification_id=standing.id,
        certification_name=standing.name, level=standing.level, track=standing.track,
        status=standing.status, started_on=standing.started_on, active_on=standing.active_on,
        expires_on=standing.expires_on, revision=row.revision,
    )
    last = standing.history[-1] if standing.history else None
    context = dict(
        certification_name=standing.name, program_name=catalog.name,
        active_on=mails.long_date(standing.active_on), expires_on=mails.long_date(standing.expires_on),
        certification_id=standing.id,
    )
    if event_type == "certification_achieved":
        event = CertificationAchievedV1(
            **common, first_achievement=first_achievement,
            kit=[KitItemV1(**item.model_dump()) for item in certification.kit])
        number = None
        if first_achievement:
            number = numbering.assign(session, outbox, candidate.candidate_id, catalog.program,
                                      standing.id, now)
        context.update(first_achievement=first_achievement, expert_number=number,
                       series=numbering.series_of(catalog.program, standing.id))
    elif event_type == "certification_recertified":
        event = CertificationRecertifiedV1(
            **common, path=last.path if last else None, renewed_by=last.renewed_by if last else None)
        renewer = last.renewed_by if last else None
        context.update(path=last.path if last else None,
                       renewed_by=catalog.certification(renewer).name if renewer else None)
    elif event_type == "certification_expired":
        event = CertificationExpiredV1(**common)
    else:
        sitting_ids = list(last.sitting_ids) if last is not None and last.event == "revoked" else []
        reasons = revocation_reasons(session, sitting_ids)
        if standing.status == "revoked":
            reason = "; ".join(reasons) or "an exam result it depended on was revoked"
        else:
            reason = "it is no longer earned by your current exam results"
        event = CertificationRevokedV1(**common, reason=reason, sitting_ids=sitting_ids)
        context.update(reason=reason)
    outbox.publish(event)
    if not correction:
        mails.send(session, outbox, candidate, MAIL_OF_EVENT[event_type], now, **context)
    return Change(standing.id, event_type, standing.status, row.revision)
