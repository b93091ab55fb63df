"""certtrack_shared.clock: one clock for every service, pinned by CERTTRACK_TODAY."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from nameko.testing.services import dummy, entrypoint_hook

from certtrack_shared.clock import Clock, ClockProvider, pinned_day


def test_now_is_aware_utc_and_today_its_date():
    clock = Clock()
    before = datetime.now(timezone.utc)
    moment = clock()
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    assert before <= moment <= datetime.now(timezone.utc)
    assert clock.now().tzinfo is not None
    assert clock.today() in (before.date(), datetime.now(timezone.utc).date())


def test_a_pinned_day_keeps_the_time_of_day():
    clock = Clock(date(2027, 1, 15))
    moment = clock()
    assert moment.date() == date(2027, 1, 15) and clock.today() == date(2027, 1, 15)
    assert moment.utcoffset() == timedelta(0)
    real = datetime.now(timezone.utc)
    assert abs(datetime.combine(real.date(), moment.timetz()) - real) < timedelta(seconds=5)
    assert clock.now().date() == date(2027, 1, 15)


def test_the_day_is_pinned_by_config_first_then_environment(monkeypatch):
    monkeypatch.delenv("CERTTRACK_TODAY", raising=False)
    assert pinned_day({}) is None
    assert pinned_day({"CERTTRACK_TODAY": "2027-01-15"}) == date(2027, 1, 15)
    monkeypatch.setenv("CERTTRACK_TODAY", "2028-02-29")
    assert pinned_day({}) == date(2028, 2, 29)
    assert pinned_day({"CERTTRACK_TODAY": "2027-01-15"}) == date(2027, 1, 15)


class ClockedService:
    name = "clocked"
    clock = ClockProvider()

    @dummy
    def now(self):
        return self.clock()

    @dummy
    def today(self):
        return self.clock.today()


def test_a_service_gets_the_clock_its_config_pins(monkeypatch, container_factory):
    monkeypatch.delenv("CERTTRACK_TODAY", raising=False)
    pinned = container_factory(ClockedService, {"CERTTRACK_TODAY": "2027-01-15"})
    real = container_factory(ClockedService, {})
    pinned.start()
    real.start()
    with entrypoint_hook(pinned, "today") as today, entrypoint_hook(pinned, "now") as now:
        assert today() == date(2027, 1, 15)
        assert now().date() == date(2027, 1, 15)
    with entrypoint_hook(real, "now") as now:
        moment = now()
        assert moment.utcoffset() == timedelta(0)
        assert abs(moment - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_the_actual_moment_is_never_pinned():
    pinned = Clock(date(2020, 1, 1))
    assert pinned.today() == date(2020, 1, 1)
    assert abs((pinned.actual() - datetime.now(timezone.utc)).total_seconds()) < 5
