"""The fold: replay a candidate's dated facts, day by day, through the catalog.

Each day that has a fact (or an expiry) up to `as_of` is settled in turn:
1. periods whose expiry day has come end (`expired`; nothing renews them after);
2. until nothing changes, every certification — highest level first, then
   catalog order, so that one renewal covering lower certifications is
   preferred to spending credits on each — is
   - renewed, if active since before today and a recertification path is
     met by facts since its period began (the path taking fewest CE credits
     wins; ties: catalog order); its credits are consumed, oldest first.
     A certification that an active higher one would renew (`covering`)
     spends no credits on itself: they are kept for the higher one, whose
     renewal renews it too (its exam paths still renew it on their own);
   - achieved, if not active and its requirements and prerequisites are met
     by facts of its earning window;
   and every achievement or renewal renews the active certifications the
   catalog's `renews` names (a new period from today).
The same facts always give the same result: nothing depends on input order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from certs.catalog.expressions import AllOf, CertificationActive
from certs.catalog.model import Catalog, Certification
from certs.rules.dates import expiry
from certs.rules.matching import Outcome, match, match_each
from certs.rules.pools import Facts, earning_window, pool, renewal_window
from certs.rules.results import CeUse, HistoryEntry


@dataclass
class CertificationState:
    period_start: date | None = None  # set while active
    expires_on: date | None = None
    lapsed_on: date | None = None  # the day it last expired
    started_on: date | None = None  # first counted fact of the last achievement
    achievement: list[Outcome] | None = None  # requirement outcomes of the last achievement
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.period_start is not None

    @property
    def ever_achieved(self) -> bool:
        return any(entry.event == "achieved" for entry in self.history)


def requirement_items(cert: Certification) -> list:
    """The requirements as progress items: the parts of a top-level `all_of`
    (or the whole expression), then one item per prerequisite."""
    requirements = cert.requirements
    items = list(requirements.all_of) if isinstance(requirements, AllOf) else [requirements]
    return items + [CertificationActive(certification_active=p) for p in cert.prerequisites]


class Replay:
    def __init__(self, catalog: Catalog, facts: Facts, as_of: date):
        self.catalog = catalog
        self.facts = facts
        self.as_of = as_of
        self.states = {cert.id: CertificationState() for cert in catalog.certifications}
        self.ce_left = {a.activity_id: a.credits for a in facts.ce_activities}
        self._order = sorted(catalog.certifications, key=lambda c: -c.rank)  # stable: catalog order within a level
        self._run()

    def active_ids(self) -> frozenset[str]:
        return frozenset(cid for cid, state in self.states.items() if state.active)

    def covering(self, cert: Certification) -> Certification | None:
        """The highest active certification whose renewal renews `cert`: while
        there is one, `cert` spends no CE credits on itself (they go to it)."""
        for higher in self._order:
            if higher.expires and self.states[higher.id].active and higher.renewed_with(cert):
                return higher
        return None

    def _run(self) -> None:
        fact_days = self.facts.days(self.as_of)
        while True:
            expiries = [s.expires_on for s in self.states.values() if s.expires_on and s.expires_on <= self.as_of]
            upcoming = [d for d in fact_days[:1] + [min(expiries, default=None)] if d is not None]
            if not upcoming:
                return
            day = min(upcoming)
            if fact_days and fact_days[0] == day:
                fact_days.pop(0)
            self._expire(day)
            self._settle(day)

    def _expire(self, day: date) -> None:
        for state in self.states.values():
            if state.active and state.expires_on is not None and state.expires_on <= day:
                state.history.append(HistoryEntry(event="expired", on=state.expires_on))
                state.lapsed_on, state.period_start, state.expires_on = state.expires_on, None, None

    def _settle(self, day: date) -> None:
        changed = True
        while changed:
            changed = False
            for cert in self._order:
                state = self.states[cert.id]
                if state.active:
                    changed |= self._try_renewal(cert, state, day)
                else:
                    changed |= self._try_achievement(cert, state, day)

    def _try_achievement(self, cert: Certification, state: CertificationState, day: date) -> bool:
        window = earning_window(cert, day, state.lapsed_on)
        facts_pool, credits = pool(self.catalog, self.facts, window, self.ce_left, self.active_ids())
        outcomes = match_each(requirement_items(cert), facts_pool)
        if not all(o.met for o in outcomes):
            return False
        used = self._consume(credits, sum(o.ce_credits for o in outcomes))
        firsts = [o.first_counted_on for o in outcomes if o.first_counted_on]
        state.started_on = min(firsts, default=day)
        state.achievement = outcomes
        self._start_period(cert, state, day, HistoryEntry(
            event="achieved",
            on=day,
            sitting_ids=[s.sitting_id for o in outcomes for s in o.sittings],
            course_ids=[c.completion_id for o in outcomes for c in o.courses],
            ce_used=used,
        ))
        return True

    def _try_renewal(self, cert: Certification, state: CertificationState, day: date) -> bool:
        if not cert.expires or state.period_start >= day:
            return False
        window = renewal_window(state.period_start, day)
        facts_pool, credits = pool(self.catalog, self.facts, window, self.ce_left, self.active_ids())
        covered = self.covering(cert) is not None
        met = [(match(path.requires, facts_pool), index) for index, path in enumerate(cert.recertification)]
        met = [(outcome, index) for outcome, index in met if outcome.met and not (covered and outcome.ce_credits)]
        if not met:
            return False
        outcome, index = min(met, key=lambda pair: (pair[0].ce_credits, pair[1]))
        self._start_period(cert, state, day, HistoryEntry(
            event="recertified",
            on=day,
            path=cert.recertification[index].name,
            sitting_ids=[s.sitting_id for s in outcome.sittings],
            course_ids=[c.completion_id for c in outcome.courses],
            ce_used=self._consume(credits, outcome.ce_credits),
        ))
        return True

    def _start_period(self, cert: Certification, state: CertificationState, day: date, entry: HistoryEntry) -> None:
        state.period_start, state.expires_on = day, expiry(day, cert.validity_years)
        state.history.append(entry.model_copy(update={"expires_on": state.expires_on}))
        for other in self.catalog.certifications:
            lower = self.states[other.id]
            if other.expires and lower.active and lower.period_start < day and cert.renewed_with(other):
                lower.period_start, lower.expires_on = day, expiry(day, other.validity_years)
                lower.history.append(HistoryEntry(
                    event="recertified", on=day, expires_on=lower.expires_on, renewed_by=cert.id
                ))

    def _consume(self, credits, amount: int) -> list[CeUse]:
        used = []
        for activity in credits:
            if amount <= 0:
                break
            take = min(amount, self.ce_left[activity.activity_id])
            if take:
                self.ce_left[activity.activity_id] -= take
                used.append(CeUse(activity_id=activity.activity_id, credits=take))
                amount -= take
        return used
