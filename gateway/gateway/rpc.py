"""A pool of started Nameko RPC proxies, one gateway process's way to ask services.

Starting a `ClusterRpcProxy` opens a broker connection and declares a reply
queue, which costs more than the call itself; so each process keeps up to
`size` started proxies in a LazyPool (pool.py) and lends each to one thread
at a time. A proxy is only lent again after a call that got its reply. After
a timeout, a lost connection or anything unexpected it is stopped and its
reply queue deleted, so a late reply can never reach the next caller.
"""
from __future__ import annotations

import logging
import select

from amqp.exceptions import ConnectionError as AmqpConnectionError
from flask import current_app
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, get_module_path, registry
from nameko.standalone.rpc import ClusterRpcProxy

from certtrack_shared.rpc_client import PassiveReplyListener
from certtrack_shared.tracing import correlation, spans

from . import views
from .errors import ServiceTimeout, ServiceUnreachable
from .pool import LazyPool

log = logging.getLogger(__name__)

# What a broken broker connection looks like from inside a standalone proxy;
# nameko raises a bare RuntimeError when its consumer was disconnected.
_CONNECTION_LOST = (OSError, AmqpConnectionError, OperationalError, RuntimeError)
# How long stopping a proxy may wait for the broker's replies.
_GOODBYE_SECONDS = 2.0


class RpcPool(LazyPool["_Proxy"]):
    """Up to `size` started proxies; a proxy is lent again only after a call
    that got its reply (a service's error is a reply)."""

    def __init__(self, amqp_uri: str, size: int, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        super().__init__(size, timeout, what="RPC proxy", open_item=self._start,
                         close_item=lambda proxy: proxy.stop(), is_usable=self._is_alive)

    def call(self, service: str, method: str, *args, **kwargs):
        """`service.method(*args, **kwargs)` over RPC; service errors are raised as nameko delivers them."""
        with self.lent(keeps=is_service_answer) as proxy:
            return proxy.call(service, method, args, kwargs)

    def _start(self) -> "_Proxy":
        try:
            return _Proxy(ClusterRpcProxy(self.config, timeout=self.timeout,
                                          reply_listener_cls=PassiveReplyListener))
        except _CONNECTION_LOST as error:
            raise ServiceUnreachable(f"cannot connect to the broker: {type(error).__name__}") from error

    @staticmethod
    def _is_alive(proxy: "_Proxy") -> bool:
        if proxy.is_alive():
            return True
        log.info("Replacing an RPC proxy whose broker connection was closed")
        return False


def call(service: str, method: str, **arguments):
    """`service.method(**arguments)` over this process's pool: the gateway's one way to ask a service.

    Only the domain clients (`<domain>/client.py`) call it, each naming its
    service's methods. Arguments always go by name, so a renamed parameter
    fails loudly instead of landing in the wrong place. The pool is the app's
    `rpc` extension, which the gateway's tests replace with fakes.
    """
    views.called(service, method)  # it may change what the request's kept replies show
    return current_app.extensions["rpc"].call(service, method, **arguments)


def is_service_answer(error: BaseException) -> bool:
    """True for an error the service itself raised and sent back as its reply.

    Nameko turns most into RemoteError, and a few of its own (IncorrectSignature,
    MethodNotFound, …) back into their classes; either way the call completed
    and the proxy that made it is in a clean state.
    """
    return isinstance(error, RemoteError) or get_module_path(type(error)) in registry


class _Proxy:
    """One started ClusterRpcProxy and what the pool needs to know about it."""

    def __init__(self, standalone: ClusterRpcProxy):
        self._standalone = standalone
        self._cluster = standalone.start()

    def call(self, service: str, method: str, args: tuple, kwargs: dict):
        # Nameko sends the proxy's context data with every call as
        # `nameko.<key>` headers; a pooled proxy serves many requests, so its
        # data is set to the current request's before each call.
        context = self._standalone._worker_ctx.data
        context.clear()
        if correlation.current():
            context[correlation.CONTEXT_KEY] = correlation.current()
        spans.inject(context)
        try:
            return getattr(self._cluster[service], method)(*args, **kwargs)
        except RpcTimeout:
            raise ServiceTimeout(f"{service}.{method} did not answer in time") from None
        except UnknownService:
            raise ServiceUnreachable(f"no {service} service is listening") from None
        except Exception as error:
            if not is_service_answer(error) and isinstance(error, _CONNECTION_LOST):
                raise ServiceUnreachable(
                    f"{service}.{method}: lost the broker connection ({type(error).__name__})"
                ) from error
            raise

    def is_alive(self) -> bool:
        """False when the broker closed the connection while the proxy sat idle.

        An idle proxy has no reply outstanding, so anything readable on its
        socket is the broker's connection.close or end-of-file. Reading the
        socket reaches into kombu/amqp internals; if they change shape the
        proxy is assumed alive and a failed call replaces it instead.
        """
        try:
            connection = self._standalone._reply_listener.queue_consumer.connection
            if not connection.connected:
                return False
            poller = select.poll()
            poller.register(connection.connection.sock, select.POLLIN)
            return not poller.poll(0)
        except (AttributeError, OSError, ValueError):
            return True

    def stop(self) -> None:
        consumer = self._standalone._reply_listener.queue_consumer
        try:
            # A proxy is often stopped because its peer went quiet; without a
            # socket timeout the goodbye below would wait for it forever.
            consumer.connection.connection.sock.settimeout(_GOODBYE_SECONDS)
            # Deleting the reply queue makes a late reply unroutable instead
            # of leaving it in a queue nobody reads for the queue's 5-minute TTL.
            consumer.queue.delete()
        except Exception:  # noqa: BLE001 - the connection may be gone already
            pass
        try:
            self._standalone.stop()
        except Exception:  # noqa: BLE001 - closing a dead connection may raise
            log.debug("Error while stopping an RPC proxy", exc_info=True)
