"""The correlation id: one id that follows a piece of work everywhere it goes.

A vendor's message starts a correlation: its id is the message's own
`x-certtrack-correlation-id` header when the vendor sent a usable one, else
its `event_id`, so an operator can grep for the id the vendor knows. A site
request starts one too (the gateway's request id). Everything done on its
behalf carries it on: the events published (a header each outbox row keeps),
the RPC calls made (Nameko's context data, sent as `nameko.correlation_id`),
the mails sent (a mail header) and every log line written meanwhile.

The current id lives in a context variable, which is per greenthread under
eventlet (greenlet gives each greenlet its own context) and per thread in the
gateway, so concurrent workers never see each other's.
"""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "x-certtrack-correlation-id"
# The key in Nameko's context data (its RPC proxies send it as a header of
# every call the worker makes) and in the gateway's request headers.
CONTEXT_KEY = "correlation_id"
REQUEST_HEADER = "X-Request-ID"

# Ids arrive from vendors and browsers: only plain characters and a bounded
# length are taken, so an id can never forge a log line or a header.
_USABLE = re.compile(r"[A-Za-z0-9._:@-]{1,128}")

_current: ContextVar[str | None] = ContextVar("certtrack_correlation_id", default=None)


def usable(value) -> str | None:
    """`value` if it can serve as a correlation id, else None."""
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    if isinstance(value, str) and _USABLE.fullmatch(value):
        return value
    return None


def new() -> str:
    return uuid.uuid4().hex


def current() -> str | None:
    return _current.get()


def of_message(headers: dict | None, event_id: str | None) -> str:
    """The correlation a consumed message belongs to: its header's, else its event's."""
    return (usable((headers or {}).get(HEADER)) or usable(event_id)
            or new())


def bind(correlation_id: str | None):
    """Make `correlation_id` current; returns the token `unbind` takes."""
    return _current.set(correlation_id)


def unbind(token) -> None:
    try:
        _current.reset(token)
    except ValueError:  # a token of another context: nothing of ours to undo here
        _current.set(None)


@contextmanager
def bound(correlation_id: str | None):
    token = bind(correlation_id)
    try:
        yield correlation_id
    finally:
        unbind(token)


def headers() -> dict:
    """The message headers that carry the current correlation on (empty if none)."""
    correlation_id = current()
    return {HEADER: correlation_id} if correlation_id else {}
