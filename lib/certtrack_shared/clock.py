"""The clock: rules take `now` (or the clock) from here, never from `datetime.now()`.

Every service injects it the same way, `clock = ClockProvider()`, and calls
`self.clock()` for the moment as an aware UTC datetime, or hands the clock
to a rule. A rule that needs the day asks `clock.today()`.

`CERTTRACK_TODAY` (nameko config key or environment variable, `YYYY-MM-DD`)
pins the day for tests and demonstrations, in every service alike; the time
of day stays the real one, so events and mails still follow each other in
order. Without it the day is the UTC date of now (decision 0004 §13).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone

from nameko.extensions import DependencyProvider


@dataclass(frozen=True)
class Clock:
    """`clock()` (or `clock.now()`): now, aware UTC; `clock.today()`: the day."""

    pinned_day: date | None = None

    def __call__(self) -> datetime:
        moment = datetime.now(timezone.utc)
        if self.pinned_day is None:
            return moment
        return datetime.combine(self.pinned_day, moment.timetz())

    def now(self) -> datetime:
        return self()

    def today(self) -> date:
        return self.pinned_day or self().date()

    @staticmethod
    def actual() -> datetime:
        """The real moment, never pinned: for what others check against their own clocks
        (how long a signed status list stays fresh), not for the program's day."""
        return datetime.now(timezone.utc)


def pinned_day(config: dict) -> date | None:
    """The day `CERTTRACK_TODAY` pins, from the config first, then the environment."""
    raw = config.get("CERTTRACK_TODAY") or os.environ.get("CERTTRACK_TODAY")
    return date.fromisoformat(str(raw)) if raw else None


class ClockProvider(DependencyProvider):
    """Injects the service's `Clock`, pinned by CERTTRACK_TODAY when given; tests
    may swap it with `replace_dependencies`."""

    def setup(self):
        self.clock = Clock(pinned_day(self.container.config))

    def get_dependency(self, worker_ctx) -> Clock:
        return self.clock
