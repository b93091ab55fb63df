"""The vendor endpoint's confirming publishers to `vendor.events`, in the gateway's one
pool of broker connections (pool.py)."""
from __future__ import annotations

import logging

from certtrack_shared.publishing import ConfirmingPublisher
from certtrack_shared.tracing import correlation, spans

from ..errors import ServiceUnreachable
from ..pool import LazyPool
from .schemas import EXCHANGE

log = logging.getLogger(__name__)

# Which vendor key the gateway checked (exams' vendor_senders.VENDOR_KEY_HEADER).
VENDOR_KEY_HEADER = "x-certtrack-vendor-key-id"


class VendorPublishers(LazyPool[ConfirmingPublisher]):
    """Confirming publishers to `vendor.events`, each lent to one thread at a time.

    Opened lazily (the gateway starts while the broker is still coming up)
    and kept: a confirmed publish costs one round trip on an open connection.
    A publish that fails on a connection the broker dropped while it sat idle
    is tried once more on a fresh one; publishing twice is harmless, since
    exams applies an event_id once.
    """

    def __init__(self, amqp_uri: str, size: int, timeout: float):
        self.amqp_uri = amqp_uri
        super().__init__(size, timeout, what="vendor publisher", open_item=self._open,
                         close_item=lambda publisher: publisher.close())

    def _open(self) -> ConfirmingPublisher:
        return ConfirmingPublisher(self.amqp_uri, connect_retries=0, confirm_timeout=self.timeout)

    def publish(self, routing_key: str, body: bytes, message_id: str, vendor_key_id: int) -> None:
        """Published as the gateway's broker user (its `user_id`), naming the
        key it checked: exams applies the message only while that key is
        active and covers it (CONTRACTS.md §7, exams/handlers/vendor_senders.py)."""
        # The request's correlation id (and trace context) go along: exams and
        # everything after it log the vendor's event under the id its response named.
        headers = spans.inject({VENDOR_KEY_HEADER: str(vendor_key_id), **correlation.headers()})
        try:
            with self.lent() as publisher:
                try:
                    publisher.publish(EXCHANGE, routing_key, body, message_id=message_id,
                                      headers=headers, mandatory=True)
                except Exception:  # noqa: BLE001 - the publisher closed its connection; a fresh one
                    publisher.publish(EXCHANGE, routing_key, body, message_id=message_id,
                                      headers=headers, mandatory=True)
        except ServiceUnreachable:
            raise  # every publisher of this process is busy
        except Exception as error:  # noqa: BLE001 - not confirmed, whatever the cause
            log.warning("vendor event %s not confirmed by the broker: %s", message_id,
                        type(error).__name__)
            raise ServiceUnreachable("the broker did not confirm the vendor event") from error
