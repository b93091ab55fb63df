"""Sessions ended by logging out, remembered in Redis until they would have expired anyway.

Both browser sessions, the candidate's (auth/session.py) and the staff
member's (staff/access.py), are signed cookies. Clearing the cookie at logout
ends the session in that browser only: a copy of the cookie (taken from a
shared computer, a proxy log, malware) would keep working until it timed out.
So each session carries a random ID; logging out records that ID here for
the session's remaining lifetime, and every request checks it.

Redis is the store because the check runs on every page and must cost well
under a millisecond, and because keys that expire by themselves keep the set
as small as the sessions that could still be replayed.

If Redis cannot be reached, `has_ended` answers False and logs a warning: the
site stays up for every candidate, and what is lost for the outage is only
the refusal of a copied cookie of a session already logged out. Recording an
end that fails is logged the same way; the browser's cookie is cleared anyway.
Session IDs are never logged.
"""
from __future__ import annotations

import logging

import redis
from flask import current_app, g

from . import views

log = logging.getLogger(__name__)

KEY_PREFIX = "certtrack:ended-session:"
# The check sits on every request: a Redis that does not answer quickly counts as unreachable.
TIMEOUT_SECONDS = 0.5


class EndedSessions:
    def __init__(self, url: str):
        self._redis = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                                           socket_connect_timeout=TIMEOUT_SECONDS)

    def end(self, session_id: str, seconds_left: int) -> None:
        """Refuse the session `session_id` from now on (for `seconds_left`, its remaining lifetime)."""
        if not session_id or seconds_left <= 0:
            return
        try:
            self._redis.set(KEY_PREFIX + session_id, 1, ex=int(seconds_left))
        except redis.RedisError as error:
            log.warning("could not record a logout in Redis (%s): a copy of that session cookie "
                        "stays usable until it expires", type(error).__name__)

    def has_ended(self, session_id: str) -> bool:
        try:
            return bool(self._redis.exists(KEY_PREFIX + session_id))
        except redis.RedisError as error:
            log.warning("could not check for an ended session in Redis (%s); letting the session through",
                        type(error).__name__)
            return False

    def close(self) -> None:
        self._redis.close()


def install(app) -> None:
    app.extensions["ended_sessions"] = EndedSessions(app.config["REDIS_URL"])


def end(session_id: str, seconds_left: int) -> None:
    current_app.extensions["ended_sessions"].end(session_id, seconds_left)


def has_ended(session_id: str, candidate_id: str | None = None) -> bool:
    """Whether the session was logged out; asked of Redis once per request and session.

    A candidate's session is asked in the same round trip as the replies kept for
    the candidate's page (views.py), which every such request reads next: a second
    round trip was a sixth of a page's time under load (docs/benchmarks.md).
    """
    checked = g.setdefault("ended_session_checks", {})
    if session_id not in checked:
        found = views.read_with_page(candidate_id, (KEY_PREFIX + session_id,)) if candidate_id else None
        checked[session_id] = (found[0] is not None if found is not None
                               else current_app.extensions["ended_sessions"].has_ended(session_id))
    return checked[session_id]
