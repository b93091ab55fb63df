"""Calling RPCs as a broker user that may not configure `nameko-rpc`.

Nameko's standalone proxy declares the RPC exchange along with its reply
queue, which needs the exchange's configure permission: the permission to
delete it. CertTrack's callers (the gateway, a service's container health
check, the operators' scripts) declare it passively instead: the
administrator declared it with the topology (`broker_identities.py`).
"""
from __future__ import annotations

import uuid

from kombu import Queue
from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, RPC_REPLY_QUEUE_TTL, get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy, SingleThreadedReplyListener

from certtrack_shared.topology import topic_exchange


class PassiveReplyListener(SingleThreadedReplyListener):
    """Nameko's `ReplyListener.setup`, with the exchange declared passively:
    registering the provider declares the queue at once, so the queue must
    be right before that.

    The reply queue is transient, where nameko's is durable: it lives as long
    as its proxy, and in a cluster a durable classic queue whose node went
    down cannot be declared again until that node returns, while a transient
    one goes with its node. It stays a classic queue (decision 0031): one
    Raft group per proxy would cost more than the calls it answers."""

    def setup(self):
        reply_queue_uuid = uuid.uuid4()
        self.routing_key = str(reply_queue_uuid)
        exchange = get_rpc_exchange(self.container.config).name
        self.queue = Queue(
            RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, reply_queue_uuid),
            exchange=topic_exchange(exchange, passive=True), routing_key=self.routing_key,
            durable=False, queue_arguments={"x-expires": RPC_REPLY_QUEUE_TTL})
        self.queue_consumer.register_provider(self)


def cluster_rpc(amqp_uri: str, timeout: float | None = None) -> ClusterRpcProxy:
    """A `ClusterRpcProxy` (use it as a context manager) for `amqp_uri`, which
    may be a failover list (`config.amqp_uri`): kombu connects to the first
    node that answers."""
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout,
                           reply_listener_cls=PassiveReplyListener)
