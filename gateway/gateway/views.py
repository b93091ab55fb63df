"""Replies to a candidate's pages, kept in Redis while they are current (decision 0034).

The services that own a candidate's data (certs, identity) count each
candidate's changes in Redis (certtrack_shared/view_generations.py). For the
few replies every page asks for (`PAGE_REPLIES`), the gateway reads what it
kept and the counters, all of them in one round trip on a request's first
read; a kept reply serves while the counters are what it was kept with, and
otherwise the service is asked, and its reply kept with the counters read
*before* asking: a change committed after the service read its data then
always shows as a new count. A service that does not say it counts, or
Redis out of reach, and the service is simply asked.

What one request read is reused for the rest of it, until the request asks
a service anything else (`rpc.call` drops it): that call may have changed
what the next read must show.
"""
from __future__ import annotations

import json
import logging
import time

import redis
from flask import Flask, current_app, g

from certtrack_shared import view_generations

log = logging.getLogger(__name__)

PAGE_REPLIES = (("identity", "credential_version"), ("identity", "get_profile"),
                ("certs", "certifications"), ("certs", "certification_agreement"))
_SERVICES = tuple(sorted({service for service, _ in PAGE_REPLIES}))

# How long a kept reply may serve at most: bounds what a lost count (Redis
# unreachable just after a commit) could leave stale. A security answer,
# a credential's version, is kept shorter.
KEEP_SECONDS = 600
KEEP_SECONDS_BY_METHOD = {("identity", "credential_version"): 60}
# After Redis failed, how long to ask the services directly before trying it again.
PAUSE_AFTER_FAILURE = 5.0


class CandidateViews:
    def __init__(self, redis_url: str, space: str):
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.space = space
        self._paused_until = 0.0

    def _reply_key(self, service: str, method: str, candidate_id: str) -> str:
        return f"certtrack:{self.space}:view:{service}.{method}:{candidate_id}"

    def look(self, candidate_id: str, also: tuple[str, ...] = ()) -> dict | None:
        """Every page reply kept for the candidate and each service's counters, and the
        keys `also`, in one round trip: {"replies": {(service, method): kept},
        "generations": {service: [..] or None}, "also": [value of each key]}."""
        keys = [self._reply_key(service, method, candidate_id) for service, method in PAGE_REPLIES]
        for service in _SERVICES:
            keys += [view_generations.counting_key(self.space, service),
                     view_generations.generation_key(self.space, service, candidate_id),
                     view_generations.generation_key(self.space, service, view_generations.EVERYONE)]
        try:
            values = self.redis.mget(keys + list(also))
        except redis.RedisError as error:
            self._pause(error)
            return None
        replies = dict(zip(PAGE_REPLIES, values[:len(PAGE_REPLIES)]))
        counters = values[len(PAGE_REPLIES):len(keys)]
        generations = {}
        for index, service in enumerate(_SERVICES):
            counting, mine, everyone = counters[3 * index:3 * index + 3]
            generations[service] = None if counting is None else [int(mine or 0), int(everyone or 0)]
        return {"replies": replies, "generations": generations, "also": values[len(keys):]}

    def read(self, service: str, method: str, candidate_id: str, ask, seen: dict):
        """The reply of `service.method(candidate_id=…)`: kept, or `ask()`ed and kept.
        `seen` is what `look` found for the candidate in this request."""
        generations = seen["generations"][service]
        if generations is None:
            return ask()
        kept = seen["replies"][(service, method)]
        if kept is not None:
            document = json.loads(kept)
            if document["generations"] == generations:
                return document["reply"]
        reply = ask()
        kept = json.dumps({"generations": generations, "reply": reply})
        seen["replies"][(service, method)] = kept
        try:
            self.redis.set(self._reply_key(service, method, candidate_id), kept,
                           ex=KEEP_SECONDS_BY_METHOD.get((service, method), KEEP_SECONDS))
        except redis.RedisError as error:
            self._pause(error)
        return reply

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _pause(self, error: Exception) -> None:
        log.warning("Redis cannot keep page replies (%s: %s); asking the services for %.0f s",
                    type(error).__name__, error, PAUSE_AFTER_FAILURE)
        self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE


def install(app: Flask) -> None:
    if app.config.get("VIEW_CACHE", True):
        app.extensions["candidate_views"] = CandidateViews(
            app.config["REDIS_URL"], view_generations.namespace(app.config["AMQP_URI"]))


def read(service: str, method: str, candidate_id: str, ask):
    """`ask()`, or its kept reply when this app keeps them."""
    views = current_app.extensions.get("candidate_views")
    if views is None or views.paused or (service, method) not in PAGE_REPLIES \
            or not isinstance(candidate_id, str):
        return ask()
    seen_by_candidate = g.setdefault("candidate_views", {})
    if candidate_id not in seen_by_candidate:
        seen = views.look(candidate_id)
        if seen is None:
            return ask()
        seen_by_candidate[candidate_id] = seen
    return views.read(service, method, candidate_id, ask, seen_by_candidate[candidate_id])


def read_with_page(candidate_id: str, keys: tuple[str, ...]) -> list | None:
    """The values of `keys`, read in the round trip that reads the candidate's kept
    replies for this request (so a page costs one); None when this app keeps no
    replies or Redis just failed: the caller then reads the keys itself."""
    views = current_app.extensions.get("candidate_views")
    if views is None or views.paused or not isinstance(candidate_id, str):
        return None
    seen = views.look(candidate_id, keys)
    if seen is None:
        return None
    g.setdefault("candidate_views", {})[candidate_id] = seen
    return seen["also"]


def called(service: str, method: str) -> None:
    """A service was asked something else: what this request read may be outdated."""
    if (service, method) not in PAGE_REPLIES:
        g.pop("candidate_views", None)
