"""How long a failed event waits before each retry (`CONSUMER_RETRY_DELAYS_MS`).

Its own module because the consumer (which retries), the topology (which
declares one delay exchange per wait), the outbox (which declares the
topology when a service starts) and the broker identities (which grant the
delay exchanges) all need it, and none of them may import another that
imports it back.
"""
from __future__ import annotations

import os

DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000, 60000, 120000)


def retry_delays_ms() -> tuple[int, ...]:
    """Back-off before each retry, `CONSUMER_RETRY_DELAYS_MS=1000,5000,…`."""
    raw = os.environ.get("CONSUMER_RETRY_DELAYS_MS")
    if not raw:
        return DEFAULT_RETRY_DELAYS_MS
    return tuple(int(part) for part in raw.split(",") if part.strip())
