"""Which facts may count, for earning a certification or for renewing it.

Earning on day D counts a fact dated on or before D, on or after the day
the certification last expired (an expired one is earned again from new
facts), and less than its validity before D (a pass counts toward earning
for as long as the certification it earns would last).

Renewing a period that began on day S counts facts dated after S (facts of
day S belong to the settlement that started the period) up to D.
CE credits already consumed by a renewal never count again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from certs.catalog.model import Catalog, Certification
from certs.rules.dates import add_years
from certs.rules.facts import CeActivity, CourseCompletion, Sitting
from certs.rules.matching import Pool


@dataclass(frozen=True)
class Facts:
    """A candidate's facts, filtered to those that can count and put in date order."""

    sittings: tuple[Sitting, ...]
    ce_activities: tuple[CeActivity, ...]
    courses: tuple[CourseCompletion, ...]

    @classmethod
    def of(cls, catalog: Catalog, sittings, ce_activities, courses, *, include_revoked: bool = False) -> Facts:
        for kind, ids in (("sitting", [s.sitting_id for s in sittings]),
                          ("CE activity", [a.activity_id for a in ce_activities]),
                          ("course completion", [c.completion_id for c in courses])):
            if len(set(ids)) != len(ids):
                raise ValueError(f"each {kind} must be given once")

        def counts(sitting: Sitting) -> bool:
            exam = catalog.exam(sitting.exam_code)
            standing = sitting.counts or (include_revoked and sitting.passed)
            return standing and exam is not None and exam.counts_on(sitting.taken_on)

        return cls(
            tuple(sorted((s for s in sittings if counts(s)), key=lambda s: (s.taken_on, s.sitting_id))),
            tuple(sorted(ce_activities, key=lambda a: (a.completed_on, a.activity_id))),
            tuple(sorted(courses, key=lambda c: (c.completed_on, c.completion_id))),
        )

    def days(self, until: date) -> list[date]:
        dated = [s.taken_on for s in self.sittings] + [a.completed_on for a in self.ce_activities]
        dated += [c.completed_on for c in self.courses]
        return sorted({day for day in dated if day <= until})


@dataclass(frozen=True)
class Window:
    """Facts dated in [first, last] and, with `within_years`, less than that long before `last`."""

    last: date
    first: date | None = None
    after: date | None = None
    within_years: int | None = None

    def holds(self, day: date) -> bool:
        return (
            day <= self.last
            and (self.first is None or day >= self.first)
            and (self.after is None or day > self.after)
            and (self.within_years is None or add_years(day, self.within_years) > self.last)
        )


def earning_window(cert: Certification, day: date, lapsed_on: date | None) -> Window:
    return Window(last=day, first=lapsed_on, within_years=cert.validity_years)


def renewal_window(period_start: date, day: date) -> Window:
    return Window(last=day, after=period_start)


def pool(catalog: Catalog, facts: Facts, window: Window, ce_left: dict[int, int], active: frozenset[str]):
    """The pool for `window`, and the CE activities (oldest first) its credits come from."""
    credits = [a for a in facts.ce_activities if window.holds(a.completed_on) and ce_left[a.activity_id] > 0]
    return (
        Pool(
            catalog=catalog,
            sittings=tuple(s for s in facts.sittings if window.holds(s.taken_on)),
            courses=tuple(c for c in facts.courses if window.holds(c.completed_on)),
            ce_credits=sum(ce_left[a.activity_id] for a in credits),
            active=active,
        ),
        credits,
    )
