"""The broker's administrator: its AMQP URI and RabbitMQ's management HTTP API.

Used to set up who may do what (`broker_identities`) and to upgrade a
broker's queues (`queue_upgrade`); a module of its own so that neither of
those has to import the other to reach the broker.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from certtrack_shared import config


class ManagementApi:
    """RabbitMQ's management HTTP API, as the administrator."""

    def __init__(self, url: str, username: str, password: str):
        import requests

        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = (username, password)

    def _path(self, *parts: str) -> str:
        return "/".join([self.url, "api", *(quote(p, safe="") for p in parts)])

    def user_exists(self, user: str) -> bool:
        response = self.session.get(self._path("users", user), timeout=10)
        if response.status_code == 404:
            return False
        response.raise_for_status()
        return True

    def put_user(self, user: str, password: str) -> None:
        self.session.put(self._path("users", user), json={"password": password, "tags": ""},
                         timeout=10).raise_for_status()

    def queues(self, vhost: str) -> list[dict]:
        """Every queue of the vhost: name, type, consumers."""
        response = self.session.get(self._path("queues", vhost), timeout=30,
                                    params={"columns": "name,type,consumers"})
        response.raise_for_status()
        return response.json()

    def queue_bindings(self, vhost: str, queue: str) -> list[dict]:
        response = self.session.get(self._path("queues", vhost, queue, "bindings"), timeout=10)
        response.raise_for_status()
        return response.json()

    def put_policy(self, vhost: str, name: str, policy: dict) -> None:
        self.session.put(self._path("policies", vhost, name), json=policy,
                         timeout=10).raise_for_status()

    def delete_policy(self, vhost: str, name: str) -> None:
        response = self.session.delete(self._path("policies", vhost, name), timeout=10)
        if response.status_code != 404:
            response.raise_for_status()

    def put_grant(self, vhost: str, grant: Grant) -> None:
        self.session.put(self._path("permissions", vhost, grant.user), timeout=10, json={
            "configure": grant.configure, "write": grant.write, "read": grant.read,
        }).raise_for_status()
        # Topic permissions are per exchange and add up: replace them all.
        response = self.session.delete(self._path("topic-permissions", vhost, grant.user), timeout=10)
        if response.status_code != 404:
            response.raise_for_status()
        for topic in grant.topics:
            self.session.put(self._path("topic-permissions", vhost, grant.user), timeout=10, json={
                "exchange": topic.exchange, "write": topic.write, "read": topic.read,
            }).raise_for_status()


@dataclass(frozen=True)
class Administrator:
    """The administrator's AMQP URI, and the management API beside it."""

    amqp_uri: str
    management_url: str

    @classmethod
    def from_environment(cls, amqp_uri: str | None = None) -> "Administrator":
        uri = amqp_uri or os.environ.get("BROKER_ADMIN_URI") or config.amqp_uri()
        parts = urlsplit(config.amqp_addresses(uri)[0])
        scheme = "https" if parts.scheme == "amqps" else "http"
        default = f"{scheme}://{parts.hostname or '127.0.0.1'}:15672"
        return cls(uri, os.environ.get("RABBIT_MANAGEMENT_URL", default))

    @property
    def vhost(self) -> str:
        path = urlsplit(config.amqp_addresses(self.amqp_uri)[0]).path
        return unquote(path[1:]) if len(path) > 1 else "/"

    def api(self) -> ManagementApi:
        parts = urlsplit(config.amqp_addresses(self.amqp_uri)[0])
        return ManagementApi(self.management_url, unquote(parts.username or "guest"),
                             unquote(parts.password or "guest"))

    def uri_for(self, user: str, password: str) -> str:
        """The administrator's URI with another user's credentials: every
        address of a cluster's failover list (`config.amqp_uri`)."""
        return ";".join(_as_user(address, user, password)
                        for address in config.amqp_addresses(self.amqp_uri))


def _as_user(address: str, user: str, password: str) -> str:
    parts = urlsplit(address)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
