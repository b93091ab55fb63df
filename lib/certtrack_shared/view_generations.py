"""Generations of what a candidate's pages show, so that the gateway can keep
a service's reply in Redis and know when it went stale (decision 0034).

A service counts, in Redis, one generation per candidate and one for the
whole program's candidates. After each commit it adds one to the generation
of every candidate whose rows the transaction wrote (any ORM object with a
`candidate_id`), and to the program's when a handler said everyone changed
(`everyone_changed`: an agreement published). The gateway reads the
generations before it asks the service and keeps the reply with them; a
kept reply is used only while both are what it was kept with. A change
committed after the service read its data is counted after that read, so
it always outdates the reply; no reply is ever written by a service.

Keys are namespaced by the broker's virtual host, which tells deployments
(and test stacks) that share one Redis apart. A service that counts says so
in a key that lives two minutes and that it renews every minute: the
gateway keeps replies only of services that say so, so a service that stops
counting (Redis unset, or gone) is asked every time again within minutes.
"""
from __future__ import annotations

import logging
import time
from urllib.parse import unquote, urlsplit

from sqlalchemy import event

from certtrack_shared.config import amqp_addresses

log = logging.getLogger(__name__)

COUNTING_SECONDS = 120
RENEW_SECONDS = 60
EVERYONE = "*"
# A counter unchanged for a day goes, and counts from zero again: safe, since
# the gateway keeps a reply for minutes (gateway/gateway/views.py), never a day.
GENERATION_SECONDS = 86_400
# After Redis failed, how long commits go on without counting: a Redis out of
# reach (not refusing) would otherwise hold every commit for its timeout. The
# counts missed meanwhile outdate nothing for long: the counting key, renewed
# through the same Redis, lapses too, and the gateway then asks the service.
PAUSE_AFTER_FAILURE = 5.0


def namespace(amqp_uri: str) -> str:
    """The deployment's name in Redis keys: its broker virtual host."""
    return unquote(urlsplit(amqp_addresses(amqp_uri)[0]).path.lstrip("/")) or "/"


def generation_key(space: str, service: str, candidate_id: str) -> str:
    return f"certtrack:{space}:gen:{service}:{candidate_id}"


def counting_key(space: str, service: str) -> str:
    return f"certtrack:{space}:counting:{service}"


class Generations:
    """A service's counters: `bump` after a commit, `announce` every minute."""

    def __init__(self, redis_client, space: str, service: str):
        self.redis, self.space, self.service = redis_client, space, service
        self._paused_until = 0.0

    def bump(self, candidate_ids) -> None:
        keys = [generation_key(self.space, self.service, c) for c in sorted(candidate_ids)]
        if not keys or time.monotonic() < self._paused_until:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, GENERATION_SECONDS)
            pipe.execute()
        except Exception as error:  # noqa: BLE001 - a reply kept in the gateway expires anyway
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            log.warning("could not count a change of %s candidates in Redis (%s: %s); pages "
                        "may show the old state until their copies expire; not trying again "
                        "for %.0f s", len(keys), type(error).__name__, error, PAUSE_AFTER_FAILURE)

    def announce(self) -> None:
        try:
            self.redis.set(counting_key(self.space, self.service), "1", ex=COUNTING_SECONDS)
        except Exception as error:  # noqa: BLE001 - the gateway then asks the service every time
            log.warning("could not tell the gateway that %s counts changes (%s: %s)",
                        self.service, type(error).__name__, error)


_TOUCHED = "certtrack_view_candidates"


def everyone_changed(session) -> None:
    """What every candidate's pages show changed (a program-wide fact): counted at commit."""
    session.info.setdefault(_TOUCHED, set()).add(EVERYONE)


def track(sessions, generations: Generations) -> None:
    """Count, after each commit of a session `sessions` makes, the candidates it wrote."""

    @event.listens_for(sessions, "after_flush")
    def collect(session, _flush_context):
        touched = session.info.setdefault(_TOUCHED, set())
        for instance in (*session.new, *session.dirty, *session.deleted):
            candidate_id = getattr(instance, "candidate_id", None)
            if isinstance(candidate_id, str):
                touched.add(candidate_id)

    @event.listens_for(sessions, "after_commit")
    def count(session):
        generations.bump(session.info.pop(_TOUCHED, ()))

    @event.listens_for(sessions, "after_rollback")
    def forget(session):
        session.info.pop(_TOUCHED, None)
