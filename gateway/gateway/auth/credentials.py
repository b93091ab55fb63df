"""Every session and token ends when the candidate's credentials change
(docs/decisions/0018-account-security.md).

identity keeps a credential version per candidate and moves it on at every
change of how they log in: password set, reset or changed, email changed,
single sign-on linked or unlinked. A session and a bearer token carry the
version they were issued at; on every authenticated request the gateway asks
identity for the current one (`credential_version`, one indexed read) and
refuses a mismatch: the request after a reset in another browser is already
logged out.

The answer is kept for the rest of the request (`flask.g`), and across
requests of this process for `CREDENTIAL_CACHE_SECONDS` (default 0: asked
every time; a few seconds would spare identity a read per click at the cost
of that long a window). A change this process makes forgets its own entry.
"""
from __future__ import annotations

import threading
import time

from flask import current_app, g

from . import client

_cache: dict[str, tuple[int | None, float]] = {}
_lock = threading.Lock()


def current_version(candidate_id: str) -> int | None:
    """The candidate's credential version now (None: no such candidate).
    Raises what the RPC raises when identity cannot answer."""
    known = g.setdefault("credential_versions", {})
    if candidate_id in known:
        return known[candidate_id]
    seconds = float(current_app.config.get("CREDENTIAL_CACHE_SECONDS") or 0)
    if seconds > 0:
        with _lock:
            cached = _cache.get(candidate_id)
        if cached is not None and time.monotonic() - cached[1] < seconds:
            known[candidate_id] = cached[0]
            return cached[0]
    version = client.credential_version(candidate_id=candidate_id)
    known[candidate_id] = version
    if seconds > 0:
        with _lock:
            _cache[candidate_id] = (version, time.monotonic())
    return version


def is_current(candidate_id: str, version) -> bool:
    return isinstance(version, int) and current_version(candidate_id) == version


def changed(candidate_id: str) -> None:
    """This request changed the candidate's credentials: ask identity again."""
    g.setdefault("credential_versions", {}).pop(candidate_id, None)
    with _lock:
        _cache.pop(candidate_id, None)
