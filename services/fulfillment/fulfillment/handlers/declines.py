"""The card-testing limit: declined payments per candidate and per client address.

Someone holding a list of stolen card numbers would use checkout to learn
which still work, one small purchase after another. So:

- at most `CANDIDATE_LIMIT` declines per candidate and `ADDRESS_LIMIT` per
  client address (the one the gateway trusts for its rate limits) in any
  `WINDOW` (a sliding hour); past either, `check` raises
  `TooManyDeclinedPayments` with the seconds until the oldest counted decline
  ages out — *before* the processor is asked, so a blocked attempt never
  reaches it;
- only what the processor reports is counted (`CardDeclined`, with its code
  and reason, and brand and last four digits when it gives them): nothing
  here reads a card, so the limit works the same once the browser sends the
  card to the processor and CertTrack receives only a token;
- a successful payment forgives nothing: the declines age out of the window
  (docs/decisions/0014-card-testing-limits.md says why);
- `check` takes an advisory lock per candidate and per address until the
  transaction ends, so parallel attempts are counted one after another
  instead of all passing the same check;
- `record` commits at once: the decline raises next, which rolls the worker's
  transaction back, and the count must survive that.

Staff read `report`: recent declines and who is blocked now.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from certtrack_shared.locks import advisory_lock

from fulfillment.exceptions import TooManyDeclinedPayments
from fulfillment.models import PaymentDecline
from fulfillment.payments import CardDeclined
from fulfillment.schemas import BlockView, DeclineReport, DeclineView

WINDOW = timedelta(hours=1)
CANDIDATE_LIMIT = 5
ADDRESS_LIMIT = 5
# Long enough for staff to look into a wave of declines; no limit needs more than WINDOW.
KEEP = timedelta(days=30)
REPORT_LIMIT = 200

# What each limit counts by: (kind in the staff's view, column, limit).
_KEYS = (("candidate", PaymentDecline.candidate_id, CANDIDATE_LIMIT),
         ("client_address", PaymentDecline.client_address, ADDRESS_LIMIT))


def client_key(client_address: str | None) -> str:
    return (client_address or "unknown")[:64]


def check(session: Session, candidate_id: str, client_address: str | None, now: datetime) -> None:
    """Raise TooManyDeclinedPayments when this candidate or this address reached its limit."""
    values = (candidate_id, client_key(client_address))
    for (kind, _, _), value in zip(_KEYS, values):
        advisory_lock(session, "fulfillment-declines", kind, value)
    waits = []
    for (_, column, limit), value in zip(_KEYS, values):
        times = session.scalars(select(PaymentDecline.declined_at).where(
            column == value, PaymentDecline.declined_at > now - WINDOW).order_by(PaymentDecline.declined_at)).all()
        frees_at = _frees_at(times, limit)
        if frees_at is not None:
            waits.append((frees_at - now).total_seconds())
    if waits:
        raise TooManyDeclinedPayments({"retry_after_seconds": max(1, ceil(max(waits)))})


def record(session: Session, candidate_id: str, client_address: str | None, declined: CardDeclined,
           now: datetime) -> None:
    """Count a decline the processor reported, and commit it (see the module docstring)."""
    session.execute(delete(PaymentDecline).where(PaymentDecline.declined_at < now - KEEP))
    session.add(PaymentDecline(candidate_id=candidate_id, client_address=client_key(client_address),
                               declined_at=now, code=declined.code[:60], reason=declined.message[:300],
                               brand=declined.brand, last4=declined.last4))
    session.commit()


def report(session: Session, now: datetime) -> DeclineReport:
    """The latest declines, newest first, and each candidate and address blocked right now."""
    recent = session.scalars(select(PaymentDecline).order_by(PaymentDecline.declined_at.desc(),
                                                             PaymentDecline.id.desc()).limit(REPORT_LIMIT)).all()
    blocked = []
    for kind, column, limit in _KEYS:
        counted: dict[str, list[datetime]] = {}
        for value, declined_at in session.execute(select(column, PaymentDecline.declined_at).where(
                PaymentDecline.declined_at > now - WINDOW).order_by(PaymentDecline.declined_at)):
            counted.setdefault(value, []).append(declined_at)
        for value, times in sorted(counted.items()):
            frees_at = _frees_at(times, limit)
            if frees_at is not None:
                blocked.append(BlockView(kind=kind, key=value, declines=len(times), blocked_until=frees_at))
    return DeclineReport(
        declines=[DeclineView(candidate_id=d.candidate_id, client_address=d.client_address,
                              declined_at=d.declined_at, code=d.code, reason=d.reason, brand=d.brand, last4=d.last4)
                 for d in recent],
        blocked=blocked, window_minutes=int(WINDOW.total_seconds() // 60),
        candidate_limit=CANDIDATE_LIMIT, address_limit=ADDRESS_LIMIT)


def _frees_at(times: list[datetime], limit: int) -> datetime | None:
    """With `times` the declines inside the window, oldest first: when the next attempt is
    allowed again (once enough of the oldest age out), or None when it is allowed now."""
    if len(times) < limit:
        return None
    return times[len(times) - limit] + WINDOW
