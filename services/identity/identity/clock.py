"""The clock: rules take `now` from here, never from `datetime.now()`."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from nameko.extensions import DependencyProvider

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class ClockProvider(DependencyProvider):
    """Injects `system_clock`; tests swap it with `replace_dependencies`."""

    def get_dependency(self, worker_ctx) -> Clock:
        return system_clock
