"""What production refuses to start with (docs/decisions/0015-production-refuses-insecure-settings.md).

`insecure_settings(settings)` is the rule book: plain, given the settings
by name, it returns one line per problem. `refuse_insecure_settings(process,
used)` is what every process calls as it starts: in production it exits, naming
each problem, before it opens a connection or a port.

The rules, by the setting's name:
- `AMQP_URI`: not RabbitMQ's `guest`, no user at all (the client then logs
  in as `guest`), not a development user (`vendor-dev`, `warehouse-dev`), not a
  password equal to the user name or empty; and `amqps://` (TLS) unless the
  broker is on loopback;
- `*_DATABASE_URL` (PostgreSQL): `sslmode=require`, `verify-ca` or
  `verify-full` (in the URL, or PGSSLMODE) unless the server is on loopback or
  a local socket;
- `REDIS_URL`: `rediss://` (TLS) unless the server is on loopback or a socket;
- `SECRET_KEY`: set, at least 32 characters, and none of the development keys
  this repository writes down.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from certtrack_shared import config

DECISION = "docs/decisions/0015-production-refuses-insecure-settings.md"
MIN_SECRET_KEY_LENGTH = 32
# Secret keys written down in this repository for development and tests
# (docker-compose.yml and deploy/entrypoint.sh, the end-to-end stack, the Kubernetes template).
DEVELOPMENT_SECRET_KEYS = frozenset({
    "dev-only-insecure-secret-key",
    "e2e-secret-key-not-for-production",
    "CHANGE-ME",
})
# The broker users `make run` and the test suites create (CONTRACTS.md §7).
DEVELOPMENT_BROKER_USERS = frozenset({"guest", "vendor-dev", "warehouse-dev"})
# docker-compose.yml's defaults for the services' broker passwords.
DEVELOPMENT_PASSWORD_PREFIX = "development-only-"
SECURE_SSLMODES = ("require", "verify-ca", "verify-full")
ENVIRONMENTS = ("development", "test", "production")


def insecure_settings(settings: Mapping[str, str | None], pgsslmode: str | None = None) -> list[str]:
    """One line per insecure setting, each starting with the setting's name.

    `settings` maps names to the values a process uses (None: not set);
    `pgsslmode` is libpq's PGSSLMODE, which a database URL without `sslmode`
    follows.
    """
    problems: list[str] = []
    for name in sorted(settings):
        value = settings[name]
        if name == "SECRET_KEY":
            problems += [f"SECRET_KEY {p}" for p in _secret_key(value)]
        elif value is None:
            continue
        elif name == "AMQP_URI":
            problems += [f"AMQP_URI ({_masked(value)}) {p}" for p in _amqp(value)]
        elif name == "REDIS_URL":
            problems += [f"REDIS_URL ({_masked(value)}) {p}" for p in _redis(value)]
        elif name.endswith("DATABASE_URL"):
            problems += [f"{name} ({_masked(value)}) {p}" for p in _postgres(value, pgsslmode)]
    return problems


def checked_in_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings these rules know that `environ` sets, used by the process or not.

    A process also answers for what its environment carries: a guest broker
    URI handed to the web app that never uses it is the same mistake in the
    same deployment.
    """
    return {name: value for name, value in environ.items()
            if name in ("AMQP_URI", "REDIS_URL", "SECRET_KEY") or name.endswith("_DATABASE_URL")}


# Production is served over HTTPS only: a browser that has seen this header once refuses
# plain HTTP to the site and its subdomains for two years (HSTS, RFC 6797), so a network
# attacker cannot downgrade the next visit. Development and tests run on plain http,
# where the header would lock a developer's browser out of http://localhost.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def transport_security_headers(environment: str) -> dict[str, str]:
    """`Strict-Transport-Security` in production (any environment but development and test)."""
    if environment in ("development", "test"):
        return {}
    return {"Strict-Transport-Security": STRICT_TRANSPORT_SECURITY}


def problems_at_start(environment: str, used: Mapping[str, str | None],
                      environ: Mapping[str, str] | None = None) -> list[str]:
    """What stops a process of `environment` from starting with these settings.

    `used` holds the settings the process will use, defaults included (a
    default is a development value); the environment's other known settings
    are checked too. Development and test start with whatever they are given;
    any other value of CERTTRACK_ENV is production, and named if unknown.
    """
    if environment in ("development", "test"):
        return []
    environ = os.environ if environ is None else environ
    problems = [] if environment in ENVIRONMENTS else [
        f"CERTTRACK_ENV={environment!r} is none of {', '.join(ENVIRONMENTS)}"]
    return problems + insecure_settings({**checked_in_environment(environ), **used}, environ.get("PGSSLMODE"))


def refuse_insecure_settings(process: str, used: Mapping[str, str | None]) -> None:
    """Exit (SystemExit: the message on stderr, status 1) when production meets an insecure setting."""
    problems = problems_at_start(config.environment(), used)
    if problems:
        raise SystemExit(refusal(process, problems))


def service_settings(service: str, nameko_config: Mapping) -> dict[str, str]:
    """What a Nameko service connects with: its config.yml, environment and defaults resolved."""
    settings = {
        "AMQP_URI": nameko_config.get("AMQP_URI") or config.amqp_uri(),
        f"{service.upper()}_DATABASE_URL": nameko_config.get("DATABASE_URL") or config.database_url(service),
    }
    if nameko_config.get("REDIS_URL"):  # certs and identity count page changes there (decision 0034)
        settings["REDIS_URL"] = nameko_config["REDIS_URL"]
    return settings


def refusal(process: str, problems: list[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return (f"{process}: refusing to start: CERTTRACK_ENV=production does not accept these settings "
            f"({DECISION}):\n{lines}\n"
            f"(A development or test run sets CERTTRACK_ENV=development or test.)")


def is_loopback(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1. No host at all is not loopback: the URL is incomplete."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _amqp(url: str) -> list[str]:
    """Every address of a failover list (config.amqp_uri) is checked."""
    addresses = config.amqp_addresses(url)
    return [problem for address in addresses for problem in _amqp_address(address)] \
        if len(addresses) > 1 else _amqp_address(url)


def _amqp_address(url: str) -> list[str]:
    parts = urlsplit(url)
    problems = []
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if url.strip() == config.DEFAULT_AMQP_URI:
        problems.append("is the built-in development default, as user 'guest': set AMQP_URI "
                        "to a broker user of this process's own")
    elif user is None:
        problems.append("names no user, so the client logs in as 'guest': give the process a broker user of its own")
    elif user in DEVELOPMENT_BROKER_USERS:
        problems.append(f"connects as {user!r}, a default or development broker user: "
                        "give the process a broker user of its own")
    elif not password:
        problems.append(f"gives user {user!r} no password")
    elif password == user:
        problems.append(f"gives user {user!r} a password equal to the user name")
    elif password.upper() == "CHANGE-ME":
        problems.append(f"gives user {user!r} the Secret template's placeholder password")
    elif password.startswith(DEVELOPMENT_PASSWORD_PREFIX):
        problems.append(f"gives user {user!r} docker-compose.yml's development password: "
                        "set its BROKER_PASSWORD_* to a secret")
    if parts.scheme.lower() in ("amqp", "pyamqp") and not is_loopback(parts.hostname):
        problems.append(f"is not TLS: use amqps:// for a broker that is not on loopback ({parts.hostname})")
    return problems


def _redis(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.scheme.lower() == "redis" and not is_loopback(parts.hostname):
        return [f"is not TLS: use rediss:// for a server that is not on loopback ({parts.hostname})"]
    return []


def _postgres(url: str, pgsslmode: str | None) -> list[str]:
    parts = urlsplit(url)
    if not parts.scheme.lower().startswith("postgres"):
        return []
    query = parse_qs(parts.query)
    # libpq's own host parameter wins over the URL's; a path is a local socket.
    host = (query.get("host") or [parts.hostname or ""])[0]
    if not host or host.startswith("/") or is_loopback(host):
        return []
    sslmode = (query.get("sslmode") or [pgsslmode or "prefer"])[0]
    if sslmode in SECURE_SSLMODES:
        return []
    return [f"does not require TLS (sslmode={sslmode}): add ?sslmode=verify-full (or require, verify-ca) "
            f"for a server that is not on loopback ({host})"]


def _secret_key(key: str | None) -> list[str]:
    if not key:
        return [f"is not set: production needs at least {MIN_SECRET_KEY_LENGTH} random characters"]
    if key in DEVELOPMENT_SECRET_KEYS:
        return ["is a development key written down in this repository: generate a random one"]
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return [f"is {len(key)} characters long: production needs at least {MIN_SECRET_KEY_LENGTH} random characters"]
    return []


def _masked(url: str) -> str:
    """The URL (each address of a failover list) without its password, fit for a message."""
    if ";" in url:
        return ";".join(_masked(address) for address in config.amqp_addresses(url))
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
