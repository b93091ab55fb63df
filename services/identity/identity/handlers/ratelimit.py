"""Rate limits kept in the identity database.

- Logins: 5 failures per account and 20 per client address in any 15 minutes;
  then `TooManyAttempts(retry_after_seconds)` until the oldest failures age out.
- First-time login by score report (last name + registration number, the
  proof that moves a record's email): 5 failed matches per registration
  number and 10 per client address in any hour; then `TooManyAttempts`.
- Mail-sending requests (first-time, forgot password, forgot ID): at most 3
  mails per address per hour; further requests are silently dropped, so the
  forms cannot be used to flood an inbox (and still answer the same).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from identity.exceptions import TooManyAttempts
from identity.models import LoginFailure, MailRequest

LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20

# A matched score report moves the record's email to an address the asker
# chooses, so guessing it is held back harder than guessing a password.
SCORE_REPORT_WINDOW = timedelta(hours=1)
SCORE_REPORT_NUMBER_LIMIT = 5
SCORE_REPORT_ADDRESS_LIMIT = 10

MAIL_WINDOW = timedelta(hours=1)
MAIL_LIMIT = 3

# Records older than this are of no use to any limit.
KEEP = timedelta(days=1)


def _client(client_address: str | None) -> str:
    return (client_address or "unknown")[:64]


class LoginThrottle:
    """Failed-attempt bookkeeping for one scope (`candidate`, `staff` or
    `score` for score reports): at most `account_limit` failures per account
    and `address_limit` per client address within `window`."""

    def __init__(self, session: Session, now: datetime, scope: str = "candidate", *,
                 window: timedelta = LOGIN_WINDOW, account_limit: int = ACCOUNT_LIMIT,
                 address_limit: int = ADDRESS_LIMIT):
        self.session = session
        self.now = now
        self.scope = scope
        self.window = window
        self.account_limit = account_limit
        self.address_limit = address_limit

    def check(self, account: str, client_address: str | None) -> None:
        """Raise TooManyAttempts when either limit is reached."""
        since = self.now - self.window
        waits = []
        for column, value, limit in (
            (LoginFailure.account, account, self.account_limit),
            (LoginFailure.client_address, _client(client_address), self.address_limit),
        ):
            times = self.session.execute(
                select(LoginFailure.failed_at)
                .where(LoginFailure.scope == self.scope, column == value,
                       LoginFailure.failed_at > since)
                .order_by(LoginFailure.failed_at)
            ).scalars().all()
            if len(times) >= limit:
                # Allowed again once enough of the oldest failures age out.
                frees_at = times[len(times) - limit] + self.window
                waits.append((frees_at - self.now).total_seconds())
        if waits:
            raise TooManyAttempts(ceil(max(waits)))

    def record_failure(self, account: str, client_address: str | None) -> None:
        """Record a failure and commit it at once.

        The caller raises InvalidCredentials next, which rolls the worker's
        transaction back; the failure must survive that.
        """
        self.session.execute(
            delete(LoginFailure).where(LoginFailure.failed_at < self.now - KEEP)
        )
        self.session.add(
            LoginFailure(scope=self.scope, account=account[:300],
                         client_address=_client(client_address), failed_at=self.now)
        )
        self.session.commit()

    def clear_account(self, account: str) -> None:
        """A success forgets the account's failures (not the address's)."""
        self.session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == self.scope, LoginFailure.account == account
            )
        )


def allow_mail(session: Session, address: str, kind: str, now: datetime) -> bool:
    """True (and counted) when another mail may go to `address` this hour."""
    address = (address or "").strip().lower()[:300]
    sent = session.execute(
        select(func.count()).select_from(MailRequest).where(
            MailRequest.address == address, MailRequest.requested_at > now - MAIL_WINDOW
        )
    ).scalar_one()
    if sent >= MAIL_LIMIT:
        return False
    session.execute(delete(MailRequest).where(MailRequest.requested_at < now - KEEP))
    session.add(MailRequest(address=address, kind=kind, requested_at=now))
    return True


def score_report_throttle(session: Session, now: datetime) -> LoginThrottle:
    """Failed score-report matches, per registration number and client address."""
    return LoginThrottle(session, now, scope="score", window=SCORE_REPORT_WINDOW,
                         account_limit=SCORE_REPORT_NUMBER_LIMIT,
                         address_limit=SCORE_REPORT_ADDRESS_LIMIT)
