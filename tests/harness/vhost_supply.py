"""Private vhosts for tests that need the broker to themselves, made ahead.

A private vhost holds the whole topology: over a hundred quorum queues, which
take the broker about 1.2 s to declare and 0.5 s to delete again (classic
queues took a fraction of that), and well over a hundred tests ask for one.
So the next vhost is made while a test runs, and a used one is deleted while
the next runs: the test waits only when the broker is slower than the test.
Under eventlet the threads are green threads, which the broker's I/O lets run.
"""
from __future__ import annotations

import threading
from typing import Callable

from tests.harness.broker import Vhost


class _Background:
    """One call run in a thread, whose result or error is there for `result()`."""

    def __init__(self, call: Callable):
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call):
        try:
            self._value = call()
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits for it
            self._error = error

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class VhostSupply:
    def __init__(self, prepare: Callable[[Vhost], None]):
        self._prepare = prepare
        self._next: _Background | None = None
        self._deleting: list[_Background] = []

    def _made(self) -> Vhost:
        vhost = Vhost().create()
        try:
            self._prepare(vhost)
        except BaseException:
            vhost.delete()
            raise
        return vhost

    def take(self) -> Vhost:
        """A vhost of the caller's alone, with its topology declared."""
        made, self._next = self._next, None
        try:
            vhost = made.result() if made is not None else self._made()
        except Exception:  # noqa: BLE001 - a broker too busy to declare a quorum queue (541): once more
            vhost = self._made()
        self._next = _Background(self._made)
        return vhost

    def give_back(self, vhost: Vhost) -> None:
        """Deleted while the next test runs."""
        self._deleting = [d for d in self._deleting if d._thread.is_alive()]
        self._deleting.append(_Background(vhost.delete))

    def close(self) -> None:
        if self._next is not None:
            try:
                self._next.result().delete()
            except Exception:  # noqa: BLE001 - a vhost that was never made needs no deleting
                pass
        for deleting in self._deleting:
            deleting.result()
