"""A lazily filled pool of broker connections, each lent to one thread at a time.

Both of the gateway's ways to the broker keep their connections here: the RPC
proxies (rpc.py) and the vendor endpoint's confirming publishers
(vendor/publishers.py). Opening one costs more than using it, so a process
keeps up to `size` of them; and the gateway starts while the broker is still
coming up, so each is opened on first need, never at start.
"""
from __future__ import annotations

import queue
import threading
from contextlib import contextmanager
from typing import Callable, Generic, Iterator, TypeVar

from .errors import ServiceUnreachable

T = TypeVar("T")


class LazyPool(Generic[T]):
    """Up to `size` items, opened on first need by `open_item` and closed by `close_item`.

    `lent()` waits up to `timeout` seconds for a free slot (ServiceUnreachable
    when every item is busy). LIFO lends the most recently used item first,
    so a quiet process keeps a few warm connections instead of all `size`.
    An item is lent again only when the borrower finished without an error or
    with one `keeps(error)` accepts; otherwise it is closed and its slot
    opens a fresh one next time. An idle item `is_usable` refuses is closed
    and replaced before it is lent.
    """

    def __init__(self, size: int, timeout: float, *, what: str, open_item: Callable[[], T],
                 close_item: Callable[[T], None], is_usable: Callable[[T], bool] = lambda item: True):
        self.size = size
        self.timeout = timeout
        self.created = 0
        self._what = what
        self._open_item = open_item
        self._close_item = close_item
        self._is_usable = is_usable
        self._count_lock = threading.Lock()
        # Every slot starts empty (None) and gets an item when first lent.
        self._slots: queue.LifoQueue[T | None] = queue.LifoQueue()
        for _ in range(size):
            self._slots.put(None)

    @contextmanager
    def lent(self, keeps: Callable[[BaseException], bool] = lambda error: False) -> Iterator[T]:
        try:
            item = self._slots.get(timeout=self.timeout)
        except queue.Empty:
            raise ServiceUnreachable(f"every {self._what} of this process is busy") from None
        try:
            if item is not None and not self._is_usable(item):
                self._close_item(item)
                item = None
            if item is None:
                item = self._open_item()
                with self._count_lock:
                    self.created += 1
        except BaseException:
            self._slots.put(None)
            raise
        try:
            yield item
        except BaseException as error:
            if keeps(error):
                self._slots.put(item)
            else:
                self._close_item(item)
                self._slots.put(None)
            raise
        else:
            self._slots.put(item)

    def close(self) -> None:
        """Close the idle items, at process exit; the pool is not used afterwards."""
        while True:
            try:
                item = self._slots.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._close_item(item)
