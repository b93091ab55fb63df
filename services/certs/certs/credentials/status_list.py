"""W3C Bitstring Status List: one bit per credential, 1 when it is revoked.

The list is at least 131,072 bits (16 KiB before compression), the size the
W3C recommendation sets so that one credential's index hides among many
("herd privacy"); indexes are drawn at random from the free ones for the
same reason: sequential indexes would tell a verifier the order, and so
roughly the date, in which people were certified.

`encodedList` is the multibase base64url (prefix `u`, no padding) of the
GZIP-compressed bitstring; bit 0 is the most significant bit of byte 0.
"""
from __future__ import annotations

import base64
import gzip
import io
import secrets
from typing import Callable, Iterable

MINIMUM_BITS = 131_072
# A list takes new credentials until this share of it is used; random draws
# stay cheap, and a program with more credentials gets a second list.
FULL_AT = 0.75


class StatusListFull(RuntimeError):
    """No free index found: the list is full, open the next one."""


def encode(set_bits: Iterable[int], size: int = MINIMUM_BITS) -> str:
    """The encodedList of a list of `size` bits with `set_bits` set to 1."""
    bitstring = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside a list of {size} bits")
        bitstring[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list always encodes to the same text, so a cached copy stays valid.
    compressed = gzip.compress(bytes(bitstring), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode(encoded_list: str, limit: int = 16 * MINIMUM_BITS) -> bytes:
    """The bitstring of an encodedList; ValueError for one that is not, or that inflates past `limit` bits."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded_list[1:]
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        with gzip.GzipFile(fileobj=io.BytesIO(compressed)) as inflating:
            # Read one byte past the limit: a gzip bomb stops here, not in memory.
            bitstring = inflating.read(limit // 8 + 1)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"encodedList is not GZIP in base64url: {error}") from None
    if len(bitstring) > limit // 8:
        raise ValueError(f"the status list is larger than {limit} bits")
    return bitstring


def is_set(bitstring: bytes, index: int) -> bool:
    if not 0 <= index < len(bitstring) * 8:
        raise ValueError(f"status index {index} is outside a list of {len(bitstring) * 8} bits")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def allocate(is_taken: Callable[[int], bool], size: int = MINIMUM_BITS, attempts: int = 64) -> int:
    """A random index for which `is_taken` is false.

    Callers keep a list at most three quarters full (`FULL_AT`), so a free
    index turns up in a few draws; after `attempts` misses the list counts
    as full and the caller opens the next one.
    """
    for _ in range(attempts):
        index = secrets.randbelow(size)
        if not is_taken(index):
            return index
    raise StatusListFull(f"no free index found in {attempts} random draws among {size}")
