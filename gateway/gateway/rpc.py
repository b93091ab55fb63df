"""A pool of started Nameko RPC proxies, one gateway process's way to ask services.

Starting a `ClusterRpcProxy` opens a broker connection and declares a reply
queue, which costs more than the call itself; so each process keeps up to
`size` started proxies and lends each to one thread at a time. A proxy is
only lent again after a call that got its reply. After a timeout, a lost
connection or anything unexpected it is stopped and its reply queue
deleted, so a late reply can never reach the next caller.
"""
from __future__ import annotations

import logging
import queue
import select
import threading
from contextlib import contextmanager

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, get_module_path, registry
from nameko.standalone.rpc import ClusterRpcProxy

from certtrack_shared.rpc_client import PassiveReplyListener

from .errors import ServiceTimeout, ServiceUnreachable

log = logging.getLogger(__name__)

# What a broken broker connection looks like from inside a standalone proxy;
# nameko raises a bare RuntimeError when its consumer was disconnected.
_CONNECTION_LOST = (OSError, AmqpConnectionError, OperationalError, RuntimeError)
# How long stopping a proxy may wait for the broker's replies.
_GOODBYE_SECONDS = 2.0


class RpcPool:
    def __init__(self, amqp_uri: str, size: int, timeout: float):
        self.config = {"AMQP_URI": amqp_uri}
        self.size = size
        self.timeout = timeout
        self.created = 0
        self._count_lock = threading.Lock()
        # Every slot starts empty (None) and gets a proxy when first lent.
        # LIFO lends the most recently used proxy first, so a quiet process
        # keeps a few warm connections instead of opening all `size` of them.
        self._slots: queue.LifoQueue[_Proxy | None] = queue.LifoQueue()
        for _ in range(size):
            self._slots.put(None)

    def call(self, service: str, method: str, *args, **kwargs):
        """`service.method(*args, **kwargs)` over RPC; service errors are raised as nameko delivers them."""
        with self._lent() as proxy:
            return proxy.call(service, method, args, kwargs)

    def close(self) -> None:
        """Stop the idle proxies, at process exit; the pool is not used afterwards."""
        while True:
            try:
                proxy = self._slots.get_nowait()
            except queue.Empty:
                return
            if proxy is not None:
                proxy.stop()

    @contextmanager
    def _lent(self):
        try:
            proxy = self._slots.get(timeout=self.timeout)
        except queue.Empty:
            raise ServiceUnreachable("every RPC proxy of this process is busy") from None
        try:
            if proxy is not None and not proxy.is_alive():
                log.info("Replacing an RPC proxy whose broker connection was closed")
                proxy.stop()
                proxy = None
            if proxy is None:
                proxy = self._start()
        except BaseException:
            self._slots.put(None)
            raise
        try:
            yield proxy
        except BaseException as error:
            if is_service_answer(error):
                self._slots.put(proxy)
            else:
                proxy.stop()
                self._slots.put(None)
            raise
        else:
            self._slots.put(proxy)

    def _start(self) -> "_Proxy":
        try:
            proxy = _Proxy(ClusterRpcProxy(self.config, timeout=self.timeout,
                                           reply_listener_cls=PassiveReplyListener))
        except _CONNECTION_LOST as error:
            raise ServiceUnreachable(f"cannot connect to the broker: {type(error).__name__}") from error
        with self._count_lock:
            self.created += 1
        return proxy


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
