"""Taking messages off the broker without ever letting one stop the service.

Nameko kills the whole container when an exception escapes a consumer
callback, a worker's result handler or the consumer loop. A hostile or
merely unlucky message (a body nested 100,000 deep, a content type nobody
decodes, an ack on a connection the broker has just dropped) would then stop
every entrypoint of the service, and, never acked, do it again at every
restart. This module holds what every consumer of ours shares so that cannot
happen:

- `GuardedQueueConsumer`: acks and requeues that never raise. When the
  connection is gone the broker has already taken the message back and will
  deliver it again; the handler's idempotency (processed events) skips it.
- `RawQueueConsumer`: hands providers the undecoded body, so decoding (and
  refusing) is ours, not kombu's inside the consumer loop.
- `refusal`: why a message cannot be taken as JSON at all (content type,
  encoding, size), before anything parses it.
- `truncated`: what is kept of a body too large to keep whole.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os

from kombu import Consumer
from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json"
# A vendor result is about a kilobyte; a quarter of a megabyte is room for
# any real message and small enough to refuse before parsing.
DEFAULT_MAX_BODY_BYTES = 256 * 1024
# What a dead letter keeps of a body over the cap: enough to recognise it.
KEPT_BYTES = 4096


def max_body_bytes() -> int:
    """The cap on a message body, `MESSAGE_MAX_BYTES` (default 256 KiB)."""
    raw = os.environ.get("MESSAGE_MAX_BYTES", "").strip()
    return int(raw) if raw else DEFAULT_MAX_BODY_BYTES


def refusal(message, body: bytes, max_bytes: int) -> str | None:
    """Why this message cannot be a CertTrack message, in plain words, or None.

    CONTRACTS.md §1: messages are JSON (`application/json`), UTF-8. A body of
    any other declared type is refused even when it happens to parse: its
    sender meant something else by it.
    """
    if len(body) > max_bytes:
        return f"body too large: {len(body)} bytes, the limit is {max_bytes}"
    declared = str(getattr(message, "content_type", None) or "")
    media_type = declared.split(";", 1)[0].strip().lower()
    if media_type != JSON_CONTENT_TYPE:
        return (f"wrong content type {declared[:100]!r}: CertTrack messages are "
                f"{JSON_CONTENT_TYPE}")
    encoding = str(getattr(message, "content_encoding", None) or "utf-8").strip().lower()
    # "binary" is what kombu declares for a body handed over as bytes: it
    # claims no other character set, and decoding checks it is UTF-8.
    if encoding not in ("utf-8", "utf8", "binary"):
        return f"wrong content encoding {encoding[:100]!r}: CertTrack messages are UTF-8"
    return None


def truncated(body: bytes) -> tuple[bytes, dict]:
    """(the first KEPT_BYTES of `body`, headers recording what was cut)."""
    return body[:KEPT_BYTES], {
        "x-certtrack-truncated": True,
        "x-certtrack-original-size": len(body),
        "x-certtrack-original-sha256": hashlib.sha256(body).hexdigest(),
    }


def raw_body(message) -> bytes:
    """The body as the publisher sent it.

    py-amqp decodes a body to str when the message names a content_encoding
    and the decode succeeds; encoding it again gives back the same bytes.
    An encoding Python does not know never decoded, so the body is bytes.
    """
    body = message.body
    if isinstance(body, str):
        try:
            return body.encode(message.content_encoding or "utf-8")
        except (LookupError, UnicodeError):
            return body.encode("utf-8", errors="surrogatepass")
    return bytes(body)


class GuardedQueueConsumer(QueueConsumer):
    """Nameko's QueueConsumer whose settling never raises.

    Nameko catches only py-amqp's ConnectionError around ack and requeue; a
    socket the broker reset raises ConnectionResetError (an OSError) there,
    which ends the worker and with it the container. Whatever fails, the
    message is either settled or will be redelivered by the broker once the
    connection is gone, so there is nothing better to do than to log it.
    """

    def ack_message(self, message):
        self._settle(message, "ack")

    def on_connection_error(self, exc, interval):
        # Nameko's own line masks the password of the first address only; a
        # failover list (config.amqp_uri) carries one in each.
        log.warning("Error connecting to the broker (%s); trying the next address in %s seconds",
                    exc, interval)

    def requeue_message(self, message):
        self._settle(message, "requeue")

    @staticmethod
    def _settle(message, how: str) -> None:
        try:
            if not message.channel.connection:
                return  # the broker has taken it back already
            if how == "ack":
                message.ack()
            else:
                message.requeue()
        except Exception as error:  # noqa: BLE001 - see the class docstring
            log.warning("could not %s message %s (%s: %s); the broker will deliver it again",
                        how, _message_id(message), type(error).__name__, error)


class RawQueueConsumer(GuardedQueueConsumer):
    """Hands providers the undecoded message.

    Nameko's QueueConsumer lets kombu decode the body first; a body that
    fails to decode then raises inside the consumer loop and takes the whole
    service down. Here decoding is the provider's job, and a provider that
    raises is logged, never allowed to stop the loop.
    """

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = _PrefetchOwnWindow(
                channel,
                queues=[provider.queue],
                on_message=functools.partial(self._on_raw_message, provider),
                accept=None,
                window=getattr(provider, "prefetch_count", None) or self.prefetch_count,
            )
            self._consumers[provider] = consumer
        return self._consumers.values()

    def _on_raw_message(self, provider, message):
        self.handle_message(provider, raw_body(message), message)

    def handle_message(self, provider, body, message):
        self.container.spawn_managed_thread(
            functools.partial(_guarded, provider, body, message),
            identifier=f"{type(provider).__name__}.handle_message",
        )


def _guarded(provider, body, message) -> None:
    """A provider's handle_message; what it lets escape is logged, not fatal.

    Providers settle their messages themselves and catch their own failures;
    reaching the except clause is a bug of ours. The message stays unacked
    then, so it is not lost: the broker delivers it again after a restart.
    """
    try:
        provider.handle_message(body, message)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("handling message %s from %s failed; left unacked",
                      _message_id(message), getattr(provider, "queue", None))


class _PrefetchOwnWindow(Consumer):
    """A kombu consumer that sets its prefetch window right before it starts.

    RabbitMQ applies a (non-global) `basic.qos` to the consumers started after
    it on the channel, and every consumer of a service shares one channel:
    set when each consumer is created, as Nameko does, the last window set
    would apply to all. A batching consumer wants a wider window than the
    others, so each sets its own just before its `basic.consume`.
    """

    def __init__(self, channel, *, window: int, **kwargs):
        self.window = window
        super().__init__(channel, **kwargs)

    def consume(self, no_ack=None):
        self.qos(prefetch_count=self.window)
        super().consume(no_ack)


def _message_id(message) -> str:
    try:
        return str(message.properties.get("message_id") or "(no message_id)")[:200]
    except Exception:  # noqa: BLE001 - only for a log line
        return "(unreadable message_id)"
