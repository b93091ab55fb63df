"""A private RabbitMQ vhost per test run, made and removed via the management API."""
from __future__ import annotations

import os
import re
import time
import uuid
from urllib.parse import quote, urlparse

import requests

from certtrack_shared.broker_identities import (DEV_VENDOR, DEV_WAREHOUSE, Administrator,
                                                vendor_grant, warehouse_grant)

MANAGEMENT = os.environ.get("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672")
BASE_AMQP = os.environ.get("TEST_AMQP_BASE", "amqp://guest:guest@127.0.0.1:5672")


def _api(path: str) -> tuple[str, tuple[str, str]]:
    parsed = urlparse(MANAGEMENT)
    base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port}"
    return f"{base}/api/{path}", (parsed.username or "guest", parsed.password or "guest")


PREFIX = "certtrack-test-"
# A run's vhost is named after the minute it started: a run killed before its
# teardown (a CI timeout, a kill -9) leaves its vhost, with a hundred quorum
# queues that the broker keeps running, and the next run removes it. No run
# lasts this long.
LEFTOVER_AFTER_SECONDS = 3 * 3600
_STARTED = re.compile(rf"^{PREFIX}(\d{{10}})-[0-9a-f]+$")


def leftovers(names: list[str], now: float) -> list[str]:
    """The vhosts of earlier runs that cannot still be running."""
    return [name for name in names
            if (started := _STARTED.match(name)) and now - int(started.group(1)) > LEFTOVER_AFTER_SECONDS]


class Vhost:
    def __init__(self, name: str | None = None):
        self.name = name or f"{PREFIX}{int(time.time())}-{uuid.uuid4().hex[:8]}"

    @property
    def amqp_uri(self) -> str:
        return f"{BASE_AMQP}/{quote(self.name, safe='')}"

    def create(self) -> "Vhost":
        self.remove_leftovers()
        url, auth = _api(f"vhosts/{quote(self.name, safe='')}")
        requests.put(url, auth=auth, timeout=10).raise_for_status()
        url, auth = _api(f"permissions/{quote(self.name, safe='')}/{auth[0]}")
        requests.put(
            url, auth=auth, json={"configure": ".*", "write": ".*", "read": ".*"}, timeout=10
        ).raise_for_status()
        self.grant_development_users()
        return self

    @staticmethod
    def remove_leftovers() -> list[str]:
        url, auth = _api("vhosts?columns=name")
        names = [vhost["name"] for vhost in requests.get(url, auth=auth, timeout=30).json()]
        removed = leftovers(names, time.time())
        for name in removed:
            Vhost(name).delete()
        return removed

    def administrator(self) -> Administrator:
        return Administrator(self.amqp_uri, _api("")[0].removesuffix("/api/"))

    def grant_development_users(self) -> None:
        """vendor-dev and warehouse-dev (CONTRACTS.md §7), created when absent,
        with their narrow permissions on this vhost."""
        api = self.administrator().api()
        for user, grant in ((DEV_VENDOR, vendor_grant(DEV_VENDOR.name)),
                            (DEV_WAREHOUSE, warehouse_grant(DEV_WAREHOUSE.name))):
            if not api.user_exists(user.name):
                api.put_user(user.name, user.password)
            api.put_grant(self.name, grant)

    def uri_as(self, user: str, password: str) -> str:
        return self.administrator().uri_for(user, password)

    def delete(self) -> None:
        url, auth = _api(f"vhosts/{quote(self.name, safe='')}")
        # Generous: the broker stops every quorum queue of the vhost first.
        requests.delete(url, auth=auth, timeout=120)
        # The users a stack made for this vhost (deploy/run_stack.py's user_prefix):
        # users are the broker's, they would outlive the vhost.
        url, auth = _api("users")
        for user in requests.get(url, auth=auth, timeout=10).json():
            if user["name"].startswith(f"certtrack-{self.name}."):
                url, auth = _api(f"users/{quote(user['name'], safe='')}")
                requests.delete(url, auth=auth, timeout=10)

    def queue(self, queue: str) -> dict:
        url, auth = _api(f"queues/{quote(self.name, safe='')}/{quote(queue, safe='')}")
        response = requests.get(url, auth=auth, timeout=10)
        response.raise_for_status()
        return response.json()

    def connections(self) -> list[str]:
        """Names of the client connections to this vhost the broker lists
        (the management plugin lists a new one within a few seconds)."""
        url, auth = _api(f"vhosts/{quote(self.name, safe='')}/connections")
        return [connection["name"] for connection in requests.get(url, auth=auth, timeout=10).json()]

    def close_connections(self, reason: str = "closed by a test") -> int:
        """Have the broker drop every client connection to this vhost, as a
        broker restart or a network cut would; returns how many it dropped."""
        names = self.connections()
        for name in names:
            url, auth = _api(f"connections/{quote(name, safe='')}")
            requests.delete(url, auth=auth, headers={"X-Reason": reason}, timeout=10)
        return len(names)
