"""The harness's TCP proxy (tests/harness/tcp_proxy.py) under eventlet, as
test_outage.py uses it: a connection it drops leaves no green thread waiting
on a file number the OS may hand out again.

Such a stale wait made a later, unrelated test fail with "Second
simultaneous read on fileno N" when libpq's new connection (which eventlet
does not see opened) got that number; here the number is reused on purpose.
"""
from __future__ import annotations

import os
import socket

import eventlet
import pytest
from eventlet.hubs import get_hub, trampoline
from eventlet.patcher import original

from tests.harness.messages import wait_for
from tests.harness.tcp_proxy import TcpProxy


@pytest.fixture
def proxy():
    """A proxy to a listening socket that never answers: its pipes wait on both sides."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    proxy = TcpProxy(*server.getsockname())
    yield proxy
    proxy.close()
    server.close()


@pytest.fixture
def unseen_socket():
    """A socket eventlet never sees opened, as libpq's are; made before the
    test, so that it does not itself take a number the proxy frees."""
    unseen, peer = original("socket").socketpair()
    yield unseen
    unseen.close()
    peer.close()


def _readers() -> dict:
    """File number -> the hub's listener of the green thread waiting to read it."""
    hub = get_hub()
    return dict(hub.listeners[hub.READ])


def _is_closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def _wait_as_psycogreen_does(fd: int) -> None:
    with pytest.raises(eventlet.Timeout):  # nothing to read, and no other waiter
        trampoline(fd, read=True, timeout=0.05)


@pytest.mark.parametrize("ending", ["cut", "client_hangs_up"])
def test_a_dropped_connection_leaves_no_wait_on_its_file_numbers(proxy, unseen_socket, ending):
    idle = set(_readers().values())

    def pipes() -> set[int]:
        return {fd for fd, listener in _readers().items()
                if listener not in idle and fd != proxy.listener.fileno()}

    with socket.create_connection(("127.0.0.1", proxy.port)) as client:
        wait_for(lambda: len(pipes()) == 2, timeout=5, interval=0.01,
                 message="both directions of the connection to wait for data")
        waited_on = pipes()

        if ending == "cut":
            proxy.cut()
        else:
            client.close()
        wait_for(lambda: all(_is_closed(fd) for fd in waited_on), timeout=5, interval=0.01,
                 message="the proxy to close both sockets of the connection")

    for fd in waited_on:  # the OS hands the freed numbers out again
        os.dup2(unseen_socket.fileno(), fd)
    try:
        for fd in waited_on:
            _wait_as_psycogreen_does(fd)
    finally:
        for fd in waited_on:
            os.close(fd)
