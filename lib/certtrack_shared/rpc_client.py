"""Calling RPCs as a broker user that may not configure `nameko-rpc`.

Nameko's standalone proxy declares the RPC exchange along with its reply
queue, which needs the exchange's configure permission: the permission to
delete it. CertTrack's callers (the gateway, a service's container health
check, the operators' scripts) declare it passively instead: the
administrator declared it with the topology (`broker_identities.py`).
"""
from __future__ import annotations

from kombu import Queue
from nameko.standalone.rpc import ClusterRpcProxy, SingleThreadedReplyListener

from certtrack_shared.topology import topic_exchange


class PassiveReplyListener(SingleThreadedReplyListener):
    def setup(self):
        super().setup()
        declared = self.queue
        self.queue = Queue(declared.name, exchange=topic_exchange(declared.exchange.name, passive=True),
                           routing_key=declared.routing_key,
                           queue_arguments=declared.queue_arguments)


def cluster_rpc(amqp_uri: str, timeout: float | None = None) -> ClusterRpcProxy:
    """A `ClusterRpcProxy` (use it as a context manager) for `amqp_uri`."""
    return ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout,
                           reply_listener_cls=PassiveReplyListener)
