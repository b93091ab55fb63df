"""`@rpc`: Nameko's RPC entrypoint, answering only after the commit, and
never stopped by a request.

Nameko's RPC consumer lets kombu decode the request inside the consumer
loop (a body nested 100,000 deep raises RecursionError there and stops the
service), and lets a reply that cannot be sent (no `reply_to`, an unknown
content type, the broker gone) end the worker and with it the container.
Here the request is decoded by us, and whatever the reply meets is logged:
the request is acked either way, and its caller, if any, times out.

A service's own broker user may not configure `nameko-rpc` (only the
gateway calls RPCs, `broker_identities.py`): the exchange is declared when
the user may, else only checked, and the service's queue binds to it
passively.
"""
from __future__ import annotations

import logging
import os
import sys

from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import MalformedRequest
from nameko.rpc import RpcConsumer, get_rpc_exchange
from nameko.rpc import Rpc as NamekoRpc

from certtrack_shared.contracts.envelope import decode_json
from certtrack_shared.inbound import JSON_CONTENT_TYPE, RawQueueConsumer, refusal
from certtrack_shared.topology import ensure_exchanges, rpc_queue
from certtrack_shared.transaction import commit_worker

log = logging.getLogger(__name__)

# Requests carry uploaded documents (5 MiB, base64-encoded): far above an
# event's cap, far below what would hurt a worker.
DEFAULT_RPC_MAX_BYTES = 16 * 1024 * 1024


def rpc_max_bytes() -> int:
    raw = os.environ.get("RPC_MAX_BYTES", "").strip()
    return int(raw) if raw else DEFAULT_RPC_MAX_BYTES


class GuardedRpcConsumer(RpcConsumer):
    """The service's RPC queue, read raw; nothing a request does escapes."""

    queue_consumer = RawQueueConsumer()

    def setup(self):
        if self.queue is None:
            service = self.container.service_name
            exchange = get_rpc_exchange(self.container.config).name
            with Connection(self.container.config[AMQP_URI_CONFIG_KEY]) as connection:
                ensure_exchanges(connection, (exchange,))
            self.queue = rpc_queue(service, exchange)
            self.queue_consumer.register_provider(self)
            self._registered = True

    def handle_message(self, body, message):
        reason = refusal(message, body, rpc_max_bytes())
        if reason is not None:
            self._refuse(message, reason)
            return
        try:
            request = decode_json(body.decode("utf-8"))
        except ValueError as error:  # UnicodeDecodeError is one too
            self._refuse(message, f"request is not JSON: {error}")
            return
        if not isinstance(request, dict):
            self._refuse(message, "request must be a JSON object with args and kwargs")
            return
        super().handle_message(request, message)

    def _refuse(self, message, reason: str) -> None:
        log.warning("refused an RPC request on %s: %s", self.queue.name, reason[:300])
        # The reply goes out as JSON whatever the request claimed to be.
        if message.properties.get("content_type") != JSON_CONTENT_TYPE:
            message.properties["content_type"] = JSON_CONTENT_TYPE
        try:
            raise MalformedRequest(reason)
        except MalformedRequest:
            self.handle_result(message, None, sys.exc_info())

    def handle_result(self, message, result, exc_info):
        if not message.properties.get("reply_to"):
            log.warning("an RPC request on %s names no reply_to; nobody gets an answer",
                        self.queue.name)
            self.queue_consumer.ack_message(message)
            return result, exc_info
        try:
            return super().handle_result(message, result, exc_info)
        except Exception as error:  # noqa: BLE001 - escaping here would end the container
            log.warning("could not reply to an RPC request on %s (%s: %s); its caller "
                        "will time out", self.queue.name, type(error).__name__, error)
            self.queue_consumer.ack_message(message)
            return result, exc_info


class Rpc(NamekoRpc):
    rpc_consumer = GuardedRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = commit_worker(worker_ctx, exc_info)
        if exc_info is not None:
            result = None
        # One line per call, with the caller's correlation id (the site
        # request's); health probes, which come every few seconds, only at DEBUG.
        log.log(logging.DEBUG if self.method_name == "health" else logging.INFO,
                "%s.%s answered%s", worker_ctx.service_name, self.method_name,
                "" if exc_info is None else f" with {type(exc_info[1]).__name__}",
                extra={"rpc_method": self.method_name,
                       "outcome": "ok" if exc_info is None else "error"})
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = Rpc.decorator
