"""The gateway's settings: the shared environment plus what only the gateway reads.

Everything is resolved once, in `load()`, so a misconfigured production
gateway refuses to start instead of failing on its first request.
"""
from __future__ import annotations

import os
import secrets
import tempfile

from certtrack_shared import config as shared

DEFAULT_RPC_TIMEOUT = 10.0
DEFAULT_RPC_POOL_SIZE = 8
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(RuntimeError):
    """The environment does not describe a gateway that can run."""


def load(overrides: dict | None = None) -> dict:
    """Flask config keys for the gateway; `overrides` win over the environment."""
    settings = {
        "CERTTRACK_ENV": shared.environment(),
        "AMQP_URI": shared.amqp_uri(),
        "DEV_MAILDIR": shared.dev_maildir(),
        "SITE_URL": shared.site_url(),
        "SERVICES": tuple(shared.SERVICES),
        "RPC_TIMEOUT": _number("RPC_TIMEOUT", DEFAULT_RPC_TIMEOUT, float),
        "RPC_POOL_SIZE": _number("RPC_POOL_SIZE", DEFAULT_RPC_POOL_SIZE, int),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
    }
    settings.update(overrides or {})
    development = settings["CERTTRACK_ENV"] == "development"
    settings["SECRET_KEY"] = _secret_key(settings["SECRET_KEY"], settings["CERTTRACK_ENV"])
    settings.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not development,
        # Request bodies are small JSON documents and forms; anything larger is refused
        # before it is read.
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    return settings


def _number(name: str, default, kind):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a {kind.__name__}, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value


def _secret_key(given: str | None, environment: str) -> str:
    if environment == "production":
        # Sessions and CSRF tokens are only as strong as this key.
        if not given or len(given) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters in production"
            )
        return given
    return given or _kept_development_key(os.path.abspath(os.path.join("var", "secret_key")))


def _kept_development_key(path: str) -> str:
    """A random key generated once per checkout, so sessions survive restarts.

    Several gunicorn workers may start at once: the key is written to a
    private temporary file and linked into place, so exactly one wins and
    no worker can read a half-written key.
    """
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path))  # mode 0600
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_urlsafe(48))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    with open(path) as file:
        return file.read().strip()
