"""Calendar arithmetic of validity periods."""
from __future__ import annotations

from datetime import date


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; February 29 becomes February 28
    when the target year has none (the period never runs into March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29 in a year without it
        return day.replace(year=day.year + years, day=28)


def expiry(active_on: date, validity_years: int | None) -> date | None:
    """The first day a period that began on `active_on` is no longer active."""
    return None if validity_years is None else add_years(active_on, validity_years)
