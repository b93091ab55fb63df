"""Which broker user may publish which vendor's messages (CONTRACTS.md §7).

A vendor message is applied only when the broker vouches for who sent it:
its AMQP `user_id` (RabbitMQ refuses one that is not the publishing
connection's user) must be

- a vendor's broker user registered here for the message's `vendor` and
  `program` (admins register them in the staff console, audited), or
- the gateway's broker user, for a message posted over HTTP: the gateway
  names the vendor key it checked (`x-certtrack-vendor-key-id`), and that key
  must still be active and cover the message's vendor and program, so a
  key revoked while its message waited in the queue does not count.

Anything else (no `user_id`, an unregistered user, a vendor or program
outside the registration) is dead-lettered with the reason
(docs/decisions/0016-broker-identities.md).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certtrack_shared import broker_identities, config
from certtrack_shared.database import create_service_engine
from certtrack_shared.consumer import PoisonMessage, Sender

from exams.exceptions import InvalidVendorSenderRequest, VendorSenderNotFound
from exams.models import VendorApiKey, VendorBrokerUser, VendorBrokerUserAudit
from exams.schemas import VendorSenderAuditEntry, VendorSenderView
from exams.handlers.vendor_keys import scope_problem, vendor_problem

log = logging.getLogger(__name__)

VENDOR_KEY_HEADER = "x-certtrack-vendor-key-id"
# RabbitMQ user names are free text; a vendor's is kept to what an operator types.
_BROKER_USER = re.compile(r"^[A-Za-z0-9_.@-]{1,120}$")


def check_sender(session: Session, event, sender: Sender | None, now: datetime) -> None:
    """Raise PoisonMessage unless `sender` may publish `event` (see the module)."""
    user = sender.user_id if sender else None
    if not user:
        raise PoisonMessage("the message carries no user_id: a vendor message must carry the "
                            "AMQP user_id of the broker user that published it")
    if user == broker_identities.gateway_user():
        _check_gateway(session, event, sender, now)
        return
    row = _held(session, session.get(VendorBrokerUser, user))
    if row is None or row.removed_at is not None:
        raise PoisonMessage(f"broker user {user!r} is not registered for any vendor")
    if event.vendor != row.vendor:
        raise PoisonMessage(f"broker user {user!r} is registered for vendor {row.vendor!r}, "
                            f"not {event.vendor!r}")
    if event.program not in row.programs:
        raise PoisonMessage(f"broker user {user!r} is not registered for program "
                            f"{event.program!r} (only {', '.join(row.programs)})")


def _held(session: Session, row):
    """Keep `row` for the rest of the worker's transaction. The session's
    identity map holds rows weakly: without this, every message of a batch
    read its sender's registration again (a seventh of exams' time)."""
    if row is not None:
        session.info.setdefault("exams.vendor_senders", {})[id(row)] = row
    return row


def _check_gateway(session: Session, event, sender: Sender, now: datetime) -> None:
    raw = str(sender.headers.get(VENDOR_KEY_HEADER, ""))[:40]
    key = _held(session, session.get(VendorApiKey, int(raw))) if raw.isdigit() else None
    if key is None:
        raise PoisonMessage(f"published by the gateway for vendor key {raw!r}, which is unknown")
    if key.revoked_at is not None or now >= key.expires_at:
        raise PoisonMessage(f"published by the gateway for vendor key {key.id}, which is no "
                            "longer active")
    if event.vendor != key.vendor or event.program not in key.programs:
        raise PoisonMessage(f"vendor key {key.id} is for {key.vendor} ({', '.join(key.programs)}), "
                            f"not {event.vendor} ({event.program})")


# -- registrations, for the staff console ------------------------------------------


def register(session: Session, broker_user: str, vendor: str, programs, staff: str,
             now: datetime) -> VendorSenderView:
    """Register (or change) which vendor and programs `broker_user` publishes for."""
    broker_user, vendor, staff = (str(v or "").strip() for v in (broker_user, vendor, staff))
    problems = {
        "broker_user": None if _BROKER_USER.match(broker_user) else (
            "Give the vendor's RabbitMQ user name (letters, digits, _ . @ -)."),
        "vendor": vendor_problem(vendor),
        "staff": None if 0 < len(staff) <= 254 else "Name the staff member registering the user.",
    }
    if broker_user in _reserved_users():
        problems["broker_user"] = "That is one of CertTrack's own users, not a vendor's."
    programs, problems["programs"] = scope_problem(programs)
    problems = {field: problem for field, problem in problems.items() if problem}
    if problems:
        raise InvalidVendorSenderRequest(problems)
    row = session.get(VendorBrokerUser, broker_user, with_for_update=True)
    if row is None:
        row = VendorBrokerUser(broker_user=broker_user)
        session.add(row)
    row.vendor, row.programs = vendor, programs
    row.registered_by, row.registered_at = staff, now
    row.removed_by = row.removed_at = None
    session.add(VendorBrokerUserAudit(broker_user=broker_user, action="registered", vendor=vendor,
                                      programs=programs, staff=staff, at=now))
    session.flush()
    log.info("broker user %s registered for %s (%s) by %s", broker_user, vendor,
             ",".join(programs), staff)
    return _view(session, row)


def remove(session: Session, broker_user: str, staff: str, now: datetime) -> VendorSenderView:
    staff = str(staff or "").strip()
    if not staff or len(staff) > 254:
        raise InvalidVendorSenderRequest({"staff": "Name the staff member removing the user."})
    row = session.get(VendorBrokerUser, str(broker_user or "")[:120], with_for_update=True)
    if row is None:
        raise VendorSenderNotFound({"broker_user": str(broker_user)[:120]})
    if row.removed_at is None:  # removing twice changes nothing
        row.removed_by, row.removed_at = staff, now
        session.add(VendorBrokerUserAudit(broker_user=row.broker_user, action="removed",
                                          staff=staff, at=now))
        session.flush()
        log.info("broker user %s of %s removed by %s", row.broker_user, row.vendor, staff)
    return _view(session, row)


def listing(session: Session) -> list[VendorSenderView]:
    """Registered users first, then removed ones; by name."""
    rows = session.scalars(select(VendorBrokerUser).order_by(VendorBrokerUser.broker_user)).all()
    return sorted((_view(session, row) for row in rows), key=lambda view: view.removed_at is not None)


def ensure_development_registration(session: Session, now: datetime) -> None:
    """`vendor-dev` for pearson_vue (cisco, juniper), when not registered:
    development and the test suites only (CONTRACTS.md §7)."""
    user = broker_identities.DEV_VENDOR.name
    if session.get(VendorBrokerUser, user) is not None:
        return
    vendor, programs = broker_identities.DEV_VENDOR_REGISTRATION
    try:
        with session.begin_nested():
            register(session, user, vendor, list(programs), "CertTrack (development)", now)
    except IntegrityError:
        pass  # another exams process registered it at the same moment


def _reserved_users() -> set[str]:
    return {broker_identities.user_name(party) for party in broker_identities.PARTIES} | {
        broker_identities.gateway_user(), "guest"}


def _view(session: Session, row: VendorBrokerUser) -> VendorSenderView:
    history = session.scalars(select(VendorBrokerUserAudit)
                              .where(VendorBrokerUserAudit.broker_user == row.broker_user)
                              .order_by(VendorBrokerUserAudit.id)).all()
    return VendorSenderView(
        broker_user=row.broker_user, vendor=row.vendor, programs=row.programs,
        registered_by=row.registered_by, registered_at=row.registered_at,
        removed_by=row.removed_by, removed_at=row.removed_at, active=row.removed_at is None,
        history=[VendorSenderAuditEntry.model_validate(entry) for entry in history])


class DevelopmentVendor(DependencyProvider):
    """Registers `vendor-dev`, in development and the test suites only.

    In `setup`: Nameko starts every extension at once, so a consumer could
    take a queued vendor message before a `start` here had committed; no
    message is consumed before every extension's setup is done. The Database
    provider may not be set up yet either: this uses an engine of its own.
    """

    def setup(self):
        if config.environment() not in ("development", "test"):
            return
        url = self.container.config.get("DATABASE_URL") or config.database_url("exams")
        engine = create_service_engine(url, pool_size=1)
        try:
            with Session(engine) as session:
                ensure_development_registration(session, datetime.now(timezone.utc))
                session.commit()
        finally:
            engine.dispose()
