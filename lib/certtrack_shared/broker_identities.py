"""Who may do what on the broker: one RabbitMQ user per party (CONTRACTS.md §7).

Each CertTrack process connects as a user of its own, with the narrowest
permissions RabbitMQ can express (docs/decisions/0016-broker-identities.md):

- a **service** (`certtrack-<service>`) configures and reads only its own
  queues (`rpc-<service>`, `evt-…--<service>.<handler>` and their `.dlq`),
  publishes its events to `<service>.events`, and may address only its own
  queues through `certtrack.queues` and the retry exchanges. On `nameko-rpc`
  it may bind `<service>.*` (receive its requests) and publish to a reply
  queue's key, a UUID: it answers RPCs. The one RPC it may call is its own
  `<service>.health`, which its container's health check calls.
- the **gateway** (`certtrack-gateway`) is the only RPC caller: it publishes
  `<service>.<method>` on `nameko-rpc`, owns its reply queues, and publishes
  vendor messages that came in over HTTP to `vendor.events`.
- a **vendor** user may publish to `vendor.events` and nothing else; exams
  applies its message only if the user is registered for the message's
  vendor and program.
- the **warehouse** user reads `warehouse.orders` and publishes to
  `warehouse.events`.

No CertTrack user may publish to the default exchange: it routes to any
queue by name, an RPC request to `rpc-identity` included.

The administrator's account (the one in an administrator's AMQP URI) applies
all of it idempotently: `python -m certtrack_shared.broker_identities apply`
declares the topology, creates or updates each user with its password from
the environment (`BROKER_PASSWORD_<PARTY>`), and sets its permissions; with
`--development` it also creates the vendor user `vendor-dev` and the
warehouse user `warehouse-dev`, only when absent (CONTRACTS.md §7).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from certtrack_shared import config, queue_upgrade, retries, topology
# Re-exported: the administrator and its API were defined here first.
from certtrack_shared.broker_admin import Administrator, ManagementApi  # noqa: F401

GATEWAY = "gateway"
PARTIES = config.SERVICES + (GATEWAY,)
WAREHOUSE = "warehouse"
# The reply queue of nameko's standalone proxy, which the gateway's RPC pool uses.
REPLY_QUEUE = r"rpc\.reply-standalone_rpc_proxy-[0-9a-f-]{36}"
REPLY_KEY = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTHING = "^$"


@dataclass(frozen=True)
class DevelopmentUser:
    name: str
    password: str


# CONTRACTS.md §7: made in development and in the test suites, never in production.
DEV_VENDOR = DevelopmentUser("vendor-dev", "vendor-dev")
DEV_VENDOR_REGISTRATION = ("pearson_vue", ("cisco", "juniper"))
DEV_WAREHOUSE = DevelopmentUser("warehouse-dev", "warehouse-dev")


@dataclass(frozen=True)
class TopicGrant:
    """Routing keys a user may publish (`write`) and bind (`read`) on one topic exchange."""

    exchange: str
    write: str
    read: str


@dataclass(frozen=True)
class Grant:
    """A user's permissions in one vhost: regular expressions over resource names."""

    user: str
    configure: str
    write: str
    read: str
    topics: tuple[TopicGrant, ...] = ()


PREFIX = "certtrack-"


def user_name(party: str, prefix: str = PREFIX) -> str:
    """The broker user of a CertTrack process: `certtrack-identity`, `certtrack-gateway`.
    (Tests that share a broker with a running stack use a prefix of their own.)"""
    return f"{prefix}{party}"


def gateway_user() -> str:
    """Exams accepts vendor messages the gateway published (from the HTTP
    endpoint) under this name, after checking the vendor key they name."""
    return os.environ.get("GATEWAY_BROKER_USER", user_name(GATEWAY))


def _one_of(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def _own_queues(service: str) -> str:
    return (rf"rpc-{service}|evt-[a-z0-9_]+-[a-z0-9_]+--{service}\.[a-z0-9_]+(\.dlq)?|"
            + REPLY_QUEUE)


def service_grant(service: str, retry_delays_ms=(), bindings=topology.BINDINGS,
                  prefix: str = PREFIX) -> Grant:
    own = _own_queues(service)
    consumer_queues = rf"evt-[a-z0-9_]+-[a-z0-9_]+--{service}\.[a-z0-9_]+(\.dlq)?"
    sources = sorted({b.exchange for b in bindings if topology.queue_owner(b.queue) == service})
    own_exchange = topology.service_exchange(service)
    shared = (topology.RPC_EXCHANGE, topology.QUEUES_EXCHANGE)
    delay_exchanges = tuple(topology.delay_exchange(ms) for ms in retry_delays_ms)
    topics = (
        # Answer requests (to a reply queue's UUID key), receive `<service>.*`
        # and call its own health() (with a reply queue of its own).
        TopicGrant(topology.RPC_EXCHANGE, rf"^({REPLY_KEY}|{service}\.health)$",
                   rf"^({service}\.\*|{REPLY_KEY})$"),
        # Dead letters and replays go to the service's own queues only.
        TopicGrant(topology.QUEUES_EXCHANGE, f"^({consumer_queues})$", f"^({consumer_queues})$"),
        *(TopicGrant(name, f"^({consumer_queues})$", NOTHING) for name in delay_exchanges),
    )
    return Grant(
        user=user_name(service, prefix),
        configure=f"^({own})$",
        # Writing a queue is binding it; the exchanges are publishing.
        write=_one_of(own, *map(re.escape, (own_exchange, *shared, *delay_exchanges))),
        read=_one_of(own, *map(re.escape, (*sources, *shared))),
        topics=topics,
    )


def gateway_grant(prefix: str = PREFIX) -> Grant:
    rpc = re.escape(topology.RPC_EXCHANGE)
    services = "|".join(config.SERVICES)
    return Grant(
        user=user_name(GATEWAY, prefix),
        # Its reply queues; the RPC exchange only passively (rpc_client.py).
        configure=_one_of(REPLY_QUEUE),
        write=_one_of(REPLY_QUEUE, rpc, re.escape("vendor.events")),
        read=_one_of(REPLY_QUEUE, rpc),
        topics=(TopicGrant(topology.RPC_EXCHANGE, rf"^({services})\.[a-z_]+$", f"^{REPLY_KEY}$"),),
    )


def vendor_grant(user: str) -> Grant:
    return Grant(user=user, configure=NOTHING, write=r"^vendor\.events$", read=NOTHING)


def warehouse_grant(user: str) -> Grant:
    return Grant(user=user, configure=NOTHING, write=r"^warehouse\.events$",
                 read=r"^warehouse\.orders$")


def system_grants(retry_delays_ms=(), prefix: str = PREFIX) -> list[Grant]:
    """The users of CertTrack's own processes."""
    return ([service_grant(s, retry_delays_ms, prefix=prefix) for s in config.SERVICES]
            + [gateway_grant(prefix)])


# ------------------------------------------------------------ applying them


def apply(admin: Administrator, passwords: dict[str, str], development: bool = False,
          retry_delays_ms=(), vendors=(), warehouses=(), prefix: str = PREFIX) -> None:
    """Declare the topology and create or update every user of `passwords`
    (party -> password) with its grant; development users only when absent.
    Users of parties without a password keep whatever they had."""
    from kombu import Connection

    api = admin.api()
    with Connection(admin.amqp_uri) as connection:
        # A broker from before quorum queues holds classic ones of the same names.
        upgraded = queue_upgrade.upgrade(connection, api, admin.vhost,
                                         queue_upgrade.planned_queues(retry_delays_ms))
        if upgraded.moved:
            print(f"upgraded to quorum queues: {upgraded}", file=sys.stderr)
        topology.declare(connection, retry_delays_ms)
    for grant in system_grants(retry_delays_ms, prefix):
        party = grant.user.removeprefix(prefix)
        if party in passwords:
            api.put_user(grant.user, passwords[party])
            api.put_grant(admin.vhost, grant)
    extra = [vendor_grant(v) for v in vendors] + [warehouse_grant(w) for w in warehouses]
    if development:
        for user, grant in ((DEV_VENDOR, vendor_grant(DEV_VENDOR.name)),
                            (DEV_WAREHOUSE, warehouse_grant(DEV_WAREHOUSE.name))):
            if not api.user_exists(user.name):
                api.put_user(user.name, user.password)
            extra.append(grant)
    for grant in extra:
        api.put_grant(admin.vhost, grant)


def passwords_from_environment(environ=os.environ) -> dict[str, str]:
    """Each party's password: `BROKER_PASSWORD_<PARTY>`, else the one in the
    URI it connects with, `AMQP_URI_<PARTY>` (Kubernetes keeps those in its
    Secret: one place for each password). Parties with neither are left out."""
    found = {}
    for party in PARTIES:
        value = environ.get(f"BROKER_PASSWORD_{party.upper()}", "")
        uri = environ.get(f"AMQP_URI_{party.upper()}", "")
        if not value and uri:
            parts = urlsplit(uri)
            if unquote(parts.username or "") != user_name(party):
                raise SystemExit(f"AMQP_URI_{party.upper()} must connect as {user_name(party)}")
            value = unquote(parts.password or "")
        if value:
            found[party] = value
    return found


def password_hash(password: str) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + SHA-256(salt + password))."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def definitions(retry_delays_ms=(), vhost: str = "/", passwords: dict[str, str] | None = None,
                development: bool = False, administrator: tuple[str, str] | None = None) -> dict:
    """The topology and the permissions and topic permissions of the
    system's users, as a RabbitMQ definitions document; with `passwords`
    (party -> password) the users too. The committed file has none: its
    users come with their passwords from secrets (Compose's access
    definitions, `apply`), and a node that loads definitions at every boot
    must not reset them. `development` adds vendor-dev and warehouse-dev;
    `administrator` (name, password) an administrator, which a node loading
    definitions at boot needs, as it then creates no guest."""
    document = topology.definitions(vhost, retry_delays_ms)
    grants = system_grants(retry_delays_ms)
    hashes = {g.user: password_hash(passwords[g.user.removeprefix(PREFIX)])
              if passwords and g.user.removeprefix(PREFIX) in passwords else "" for g in grants}
    if development:
        for user, grant in ((DEV_VENDOR, vendor_grant(DEV_VENDOR.name)),
                            (DEV_WAREHOUSE, warehouse_grant(DEV_WAREHOUSE.name))):
            grants.append(grant)
            hashes[user.name] = password_hash(user.password)
    users = [{"name": g.user, "password_hash": hashes[g.user], "tags": []} for g in grants
             if hashes[g.user]]
    if administrator:
        name, password = administrator
        grants.append(Grant(name, ".*", ".*", ".*"))
        users.append({"name": name, "password_hash": password_hash(password),
                      "tags": ["administrator"]})
    for user in users:
        user["hashing_algorithm"] = "rabbit_password_hashing_sha256"
    if users:
        document["users"] = users
    document["permissions"] = [
        {"user": g.user, "vhost": vhost, "configure": g.configure, "write": g.write,
         "read": g.read} for g in grants]
    document["topic_permissions"] = [
        {"user": g.user, "vhost": vhost, "exchange": t.exchange, "write": t.write, "read": t.read}
        for g in grants for t in g.topics]
    return document


def main(argv=None) -> int:
    """`python -m certtrack_shared.broker_identities apply [--development]
    [--vendor USER ...] [--warehouse USER]` or `definitions`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["apply", "definitions"])
    parser.add_argument("--development", action="store_true",
                        help="also create vendor-dev and warehouse-dev when absent")
    parser.add_argument("--vendor", action="append", default=[],
                        help="grant an existing broker user a vendor's permissions")
    parser.add_argument("--warehouse", action="append", default=[],
                        help="grant an existing broker user the warehouse's permissions")
    parser.add_argument("--prefix", default=PREFIX,
                        help="of the system's user names (default certtrack-: certtrack-identity, …)")
    args = parser.parse_args(argv)
    if args.command == "definitions":
        print(json.dumps(definitions(retries.retry_delays_ms()), indent=2))
        return 0
    admin = Administrator.from_environment()
    passwords = passwords_from_environment()
    apply(admin, passwords, development=args.development, retry_delays_ms=retries.retry_delays_ms(),
          vendors=args.vendor, warehouses=args.warehouse, prefix=args.prefix)
    print(f"broker identities applied in vhost {admin.vhost!r}: "
          f"{', '.join(sorted(user_name(p, args.prefix) for p in passwords)) or 'no system users'}"
          f"{' and the development users' if args.development else ''}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
