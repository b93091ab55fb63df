"""A TCP proxy a test can cut and restore: a real network outage between a
service and its database, without stopping the database other tests use."""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._closing = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._closing:
                client.close()
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            link = _Link(client, upstream)
            with self._lock:
                self._links.append(link)
            link.start()

    def cut(self):
        """Refuse new connections and drop every open one."""
        self.up = False
        with self._lock:
            for link in self._links:
                link.shut()
            self._links.clear()

    def restore(self):
        self.up = True

    def close(self):
        """Stop accepting, then close the listening socket.

        The acceptor is woken by a connection of our own and returns before
        the socket is closed: closing a socket another (green) thread is
        blocked on leaves eventlet listening on a file number the OS hands
        out again, and the next socket to get it fails with "Second
        simultaneous read" in some later, unrelated test.
        """
        self._closing = True
        self.cut()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
        except OSError:
            pass
        self._acceptor.join(5)
        self.listener.close()


class _Link:
    """One proxied connection: a thread per direction.

    Ending it (cut, or either peer hanging up) only shuts its sockets down,
    which wakes both threads; the last thread to finish closes them. A socket
    closed while the other thread still waits on it stays registered in
    eventlet's hub (eventlet issue #94), and when the OS hands its number to a
    connection eventlet does not see opened (libpq's, under psycogreen), that
    connection's first wait fails with "Second simultaneous read" in some
    later, unrelated test.
    """

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.ends = (client, upstream)
        self._lock = threading.Lock()
        self._running = 2

    def start(self):
        client, upstream = self.ends
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def shut(self):
        for end in self.ends:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already shut down, or never fully connected

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except (OSError, EOFError):
            pass  # shut() under us, or a peer reset the connection
        finally:
            self.shut()  # the other direction ends too
            with self._lock:
                self._running -= 1
                last = self._running == 0
            if last:
                for end in self.ends:
                    end.close()
