"""Replies to a candidate's pages, kept in Redis while they are current (decision 0034).

The services that own a candidate's data (certs, identity) count each
candidate's changes in Redis (certtrack_shared/view_generations.py). For the
few replies every page asks for, the gateway reads the reply it kept and the
counters in one round trip; the kept reply serves while the counters are
what it was kept with, and otherwise the service is asked, and its reply
kept with the counters read *before* asking: a change committed after the
service read its data then always shows as a new count. A service that does
not say it counts, or Redis out of reach, and the service is simply asked.
"""
from __future__ import annotations

import json
import logging
import time

import redis
from flask import Flask, current_app

from certtrack_shared import view_generations

log = logging.getLogger(__name__)

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

    def read(self, service: str, method: str, candidate_id: str, ask):
        """The reply of `service.method(candidate_id=…)`: kept, or `ask()`ed and kept."""
        if not isinstance(candidate_id, str) or time.monotonic() < self._paused_until:
            return ask()
        reply_key = f"certtrack:{self.space}:view:{service}.{method}:{candidate_id}"
        try:
            kept, counting, mine, everyone = self.redis.mget([
                reply_key, view_generations.counting_key(self.space, service),
                view_generations.generation_key(self.space, service, candidate_id),
                view_generations.generation_key(self.space, service, view_generations.EVERYONE)])
        except redis.RedisError as error:
            self._pause(error)
            return ask()
        if counting is None:
            return ask()
        generations = [int(mine or 0), int(everyone or 0)]
        if kept is not None:
            document = json.loads(kept)
            if document["generations"] == generations:
                return document["reply"]
        reply = ask()
        try:
            self.redis.set(reply_key, json.dumps({"generations": generations, "reply": reply}),
                           ex=KEEP_SECONDS_BY_METHOD.get((service, method), KEEP_SECONDS))
        except redis.RedisError as error:
            self._pause(error)
        return reply

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
    return ask() if views is None else views.read(service, method, candidate_id, ask)
