"""The daily run: expire what is due, remind before expiry.

A timer every five minutes runs each day once (`daily_runs` remembers the
days done), so a new day, or a service that was down at midnight, is caught
up within five minutes; staff and tests call `run_daily(as_of)` for a given
day. Every replica of certs has the timer: one runs the day, under the
run's `leadership`; another that ticks meanwhile skips, and one that ticks
later finds the day done. Staff's run waits for a run in progress instead
(decision 0029).

- Evaluation: every candidate whose kept evaluation is older than the day
  (and every one with a published active period whose `expires_on` has
  come) is re-evaluated as of that day. That publishes
  `certification_expired` (or, when a higher certification lapsed, a renewal
  from the lower one's own credits — decision 0004 §7) through the outbox,
  and keeps what the candidate's pages read in step with the day: passes
  that stopped counting toward an earning window, renewal progress
  (decision 0021).
- Reminders: 180, 90 and 30 days before `expires_on`, one mail per
  threshold and validity period (`expiry_reminders`). A day missed by the
  run is caught up by the next one, with the nearest threshold only (a
  candidate 85 days from expiry gets the 90-day reminder, not also the
  180-day one). A renewal starts a new period, so its reminders start over.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.locks import leadership

from certs import mails
from certs.catalog.loaded import LoadedCatalogs
from certs.exceptions import InvalidRequest
from certs.handlers import standings
from certs.models import Candidate, CandidateEvaluation, DailyRun, PublishedStanding, ReminderSent
from certs.schemas import DailyRunReport

log = logging.getLogger(__name__)

REMINDER_DAYS = (180, 90, 30)
# One key for the timer's and staff's runs, whatever the day: two days' runs at once would
# each re-evaluate the same candidates.
RUN_LOCK = "certs-daily-run"


def reminder_due(expires_on: date, day: date) -> int | None:
    """The threshold whose reminder is due on `day`, if any (the nearest one reached)."""
    days_left = (expires_on - day).days
    if days_left <= 0:
        return None
    reached = [threshold for threshold in REMINDER_DAYS if days_left <= threshold]
    return min(reached) if reached else None


def already_ran(session: Session, day: date) -> bool:
    return session.get(DailyRun, day) is not None


def run(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, as_of=None) -> DailyRunReport:
    """Staff's run of the day `as_of` (YYYY-MM-DD; default: the clock's day)."""
    try:
        day = date.fromisoformat(as_of) if as_of else clock.today()
    except (TypeError, ValueError):
        raise InvalidRequest({"as_of": "Give a date as YYYY-MM-DD."},
                             message="Give a date as YYYY-MM-DD.") from None
    with leadership(session, RUN_LOCK, wait=True):
        report = run_day(session, outbox, catalogs, clock, day)
        session.commit()  # inside the lock: the next run must see these reminders sent
    return report


def tick(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock) -> DailyRunReport | None:
    """The timer's run: today, once, by one replica; None when there was nothing for this one to do."""
    day = clock.today()
    with leadership(session, RUN_LOCK) as leading:
        if not leading:
            log.debug("daily run of %s: another replica is running", day)
            return None
        if already_ran(session, day):  # read under the lock: a replica may have just finished it
            return None
        report = run_day(session, outbox, catalogs, clock, day)
        session.commit()
    log.info("daily run of %s done: %d candidates re-evaluated, %d expired, %d reminders", day,
             report.candidates_reevaluated, report.expired, report.reminders)
    return report


def run_day(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, day: date) -> DailyRunReport:
    """The day's run; the caller holds the run's leadership and commits what is left."""
    day_clock = Clock(pinned_day=day)
    due = _due(session, catalogs, day)
    expired = 0
    for candidate_id in due:
        changes = standings.reevaluate(session, outbox, catalogs, day_clock, candidate_id)
        expired += sum(1 for change in changes if change.event_type == "certification_expired")
        # One candidate per transaction: a run over every candidate holds one candidate's lock at a
        # time, and a run cut short resumes where it stopped (an evaluation as of the day is not due).
        session.commit()
    reminders = _send_reminders(session, outbox, catalogs, day_clock, day)
    run = session.get(DailyRun, day)
    if run is None:
        session.add(DailyRun(day=day, completed_at=clock.now(), expired=expired, reminders=reminders))
    else:
        run.completed_at, run.expired, run.reminders = clock.now(), run.expired + expired, run.reminders + reminders
    session.flush()
    return DailyRunReport(day=day, expired=expired, reminders=reminders, candidates_reevaluated=len(due))


def _due(session: Session, catalogs: LoadedCatalogs, day: date) -> list[str]:
    """Candidates whose kept evaluation is older than `day`, and those with a period ending by then."""
    due = set(session.scalars(
        select(PublishedStanding.candidate_id).where(
            PublishedStanding.status == "active", PublishedStanding.expires_on.is_not(None),
            PublishedStanding.expires_on <= day)
    ))
    due.update(session.scalars(
        select(Candidate.candidate_id)
        .join(CandidateEvaluation, CandidateEvaluation.candidate_id == Candidate.candidate_id, isouter=True)
        .where(Candidate.program.in_(list(catalogs.by_program)),
               (CandidateEvaluation.as_of < day) | CandidateEvaluation.as_of.is_(None))
    ))
    return sorted(due)


def _send_reminders(session: Session, outbox, catalogs: LoadedCatalogs, day_clock: Clock, day: date) -> int:
    rows = session.scalars(
        select(PublishedStanding).where(
            PublishedStanding.status == "active", PublishedStanding.expires_on > day,
            PublishedStanding.expires_on <= day + timedelta(days=max(REMINDER_DAYS)))
        .order_by(PublishedStanding.candidate_id, PublishedStanding.id)
    ).all()
    sent = 0
    for row in rows:
        threshold = reminder_due(row.expires_on, day)
        if threshold is None or _reminded(session, row, threshold):
            continue
        candidate = session.get(Candidate, row.candidate_id)
        if candidate is None or candidate.program not in catalogs.by_program:
            continue
        standing = standings.current(session, outbox, catalogs, day_clock, candidate).certification(
            row.certification_id)
        if standing.status != "active" or standing.expires_on != row.expires_on:
            continue  # renewed or lapsed meanwhile: the published period is not the live one
        session.add(ReminderSent(candidate_id=row.candidate_id, certification_id=row.certification_id,
                                 expires_on=row.expires_on, days_before=threshold, sent_on=day))
        mails.send(session, outbox, candidate, "expiry_reminder", day_clock.now(),
                   certification_name=standing.name,
                   program_name=catalogs.program(candidate.program).name,
                   expires_on=mails.long_date(standing.expires_on),
                   days_left=(standing.expires_on - day).days,
                   summary=standing.recertification_summary)
        sent += 1
    session.flush()
    return sent


def _reminded(session: Session, row: PublishedStanding, threshold: int) -> bool:
    return session.scalars(select(ReminderSent.id).where(
        ReminderSent.candidate_id == row.candidate_id, ReminderSent.certification_id == row.certification_id,
        ReminderSent.expires_on == row.expires_on, ReminderSent.days_before == threshold)).first() is not None
