"""Environment configuration, read in one place.

Every default makes `make run` work on a developer machine with no
configuration at all (`make run` sets CERTTRACK_ENV=development); production,
the default environment, refuses those defaults that are insecure
(certtrack_shared/production.py) and overrides them through the environment.
"""
from __future__ import annotations

import os

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
# Unset means production: only `make run` (development) and the test runs (test)
# say otherwise, so nothing meant for a developer (the dev mailbox, a generated
# key) exists by accident, and production's start-up checks always run
# (certtrack_shared/production.py).
DEFAULT_ENVIRONMENT = "production"
DEFAULT_PG = "postgresql+psycopg2://postgres@127.0.0.1:5432"

SERVICES = ("identity", "exams", "certs", "fulfillment", "transcripts")


def environment() -> str:
    """`development`, `test` or `production` (the default)."""
    return os.environ.get("CERTTRACK_ENV") or DEFAULT_ENVIRONMENT


def is_development() -> bool:
    """Only development mode exposes the dev mailbox and demo conveniences."""
    return environment() == "development"


def amqp_uri() -> str:
    """The broker: one AMQP URI, or a cluster's nodes as kombu's failover
    list, `amqp://u:p@node1:5672/;amqp://u:p@node2:5672/` (each address whole:
    user, password and vhost), tried in order and again after a node is lost."""
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def amqp_addresses(uri: str) -> list[str]:
    """Each address of an AMQP URI that may be a `;`-separated failover list."""
    return [address.strip() for address in uri.split(";") if address.strip()]


def database_url(service: str) -> str:
    """`<SERVICE>_DATABASE_URL`, else `certtrack_<service>` on the local server."""
    return os.environ.get(
        f"{service.upper()}_DATABASE_URL", f"{DEFAULT_PG}/certtrack_{service}"
    )


def smtp_url() -> str:
    return os.environ.get("SMTP_URL", "smtp://127.0.0.1:8025")


def mail_from() -> str:
    return os.environ.get("MAIL_FROM", "CertTrack <no-reply@certtrack.local>")


def dev_maildir() -> str:
    """Where development mode keeps a copy of every mail sent (a Maildir)."""
    return os.environ.get("DEV_MAILDIR", os.path.abspath("var/devmail"))


def site_url() -> str:
    return os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}")
