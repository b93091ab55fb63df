"""The clock: rules take `today`/`now` from here, never from the system directly.

`CERTTRACK_TODAY` (nameko config key or environment variable, `YYYY-MM-DD`)
pins the day for tests and demonstrations; the time of day stays the real
one. Without it the day is the UTC date of now (decision 0004 §13).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timezone

from nameko.extensions import DependencyProvider


@dataclass(frozen=True)
class Clock:
    pinned_day: date | None = None

    def now(self) -> datetime:
        moment = datetime.now(timezone.utc)
        if self.pinned_day is None:
            return moment
        return datetime.combine(self.pinned_day, moment.timetz())

    def today(self) -> date:
        return self.pinned_day or self.now().date()


def pinned_day(config: dict) -> date | None:
    raw = config.get("CERTTRACK_TODAY") or os.environ.get("CERTTRACK_TODAY")
    return date.fromisoformat(str(raw)) if raw else None


class ClockProvider(DependencyProvider):
    """Injects the service's `Clock` (pinned by CERTTRACK_TODAY when given)."""

    def setup(self):
        self.clock = Clock(pinned_day(self.container.config))

    def get_dependency(self, worker_ctx) -> Clock:
        return self.clock
