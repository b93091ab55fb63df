"""The gateway's settings: the shared environment plus what only the gateway reads.

Everything is resolved once, in `load()`, so a misconfigured production
gateway refuses to start instead of failing on its first request.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from datetime import timedelta

from certtrack_shared import config as shared
from certtrack_shared import production

DEFAULT_RPC_TIMEOUT = 10.0
DEFAULT_RPC_POOL_SIZE = 8
# A candidate session ends after this long without a request (see gateway/auth/session.py
# for the absolute limit).
SESSION_IDLE_LIFETIME = timedelta(hours=2)
# The name-change form carries a scanned ID document of at most 5 MiB, plus the form.
UPLOAD_MAX_CONTENT_LENGTH = 6 * 1024 * 1024


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
        # How many proxies in front of the gateway append to X-Forwarded-For (an
        # ingress: 1). Rate limits key on the client address: behind a proxy
        # that is not counted, every client would share the proxy's limit;
        # counting one too many would let a client pick its own address.
        "TRUSTED_PROXY_COUNT": _number("TRUSTED_PROXY_COUNT", 0, int, minimum=0),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        # Single sign-on (OpenID Connect): off unless OIDC_ISSUER names a provider.
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", "").rstrip("/"),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "certtrack"),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        # Where logouts are remembered, so a copied session cookie dies with its session
        # (gateway/ended_sessions.py).
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Replies to candidate pages kept in that Redis while the services count them current
        # (gateway/gateway/views.py, decision 0034); off (VIEW_CACHE=off) asks the services every time.
        "VIEW_CACHE": os.environ.get("VIEW_CACHE", "on").strip().lower() not in ("off", "0", "false", "no"),
        # Where candidates write when a support ticket is needed (the support page names it).
        "SUPPORT_EMAIL": os.environ.get("SUPPORT_EMAIL", "support@certtrack.example"),
        # The payment processor the checkout page hands the card to, from the browser (the local
        # payment sandbox by default; docs/decisions/0017): CertTrack receives only its token.
        "PAYMENT_SANDBOX_URL": os.environ.get("PAYMENT_SANDBOX_URL", "http://127.0.0.1:8002").rstrip("/"),
    }
    settings.update(overrides or {})
    # Production refuses a development key, guest broker credentials, plain-text Redis...
    insecure = production.problems_at_start(
        settings["CERTTRACK_ENV"], {name: settings[name] for name in ("AMQP_URI", "REDIS_URL", "SECRET_KEY")})
    if insecure:
        raise SettingsError(production.refusal("gateway", insecure))
    settings["SECRET_KEY"] = _secret_key(settings["SECRET_KEY"], settings["CERTTRACK_ENV"])
    _check_oidc(settings)
    settings.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Secure everywhere but a plain-http development or test site.
        SESSION_COOKIE_SECURE=settings["CERTTRACK_ENV"] not in ("development", "test")
        or str(settings["SITE_URL"]).startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_IDLE_LIFETIME,
        # Request bodies are small JSON documents and forms; anything larger is refused
        # before it is read.
        MAX_CONTENT_LENGTH=1024 * 1024,
        # …except the forms that upload a document, which allow this much (per request).
        UPLOAD_MAX_CONTENT_LENGTH=UPLOAD_MAX_CONTENT_LENGTH,
    )
    return settings


def _number(name: str, default, kind, minimum=None):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a {kind.__name__}, not {raw!r}") from None
    if minimum is not None:
        if value < minimum:
            raise SettingsError(f"{name} must be at least {minimum}, not {raw!r}")
    elif value <= 0:
        raise SettingsError(f"{name} must be positive, not {raw!r}")
    return value


def _check_oidc(settings: dict) -> None:
    issuer = settings["OIDC_ISSUER"]
    if not issuer:
        return
    if settings["CERTTRACK_ENV"] == "production" and not issuer.startswith("https://"):
        # Codes and tokens travel between the gateway and the provider.
        raise SettingsError(f"OIDC_ISSUER must be an https:// address in production, not {issuer!r}")
    if not settings["OIDC_CLIENT_ID"] or not settings["OIDC_CLIENT_SECRET"]:
        # The gateway is a confidential client: it proves itself at the token endpoint.
        raise SettingsError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too")


def _secret_key(given: str | None, environment: str) -> str:
    # Production's key was checked with the other settings (certtrack_shared/production.py):
    # sessions and CSRF tokens are only as strong as this key.
    if environment == "production":
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
