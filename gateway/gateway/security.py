"""Browser-facing protections: CSRF on site forms and defensive response headers.

The API is exempt from CSRF by path rather than blueprint by blueprint: it
authenticates with bearer tokens, which a browser never attaches on its
own, and every future API blueprint is covered without remembering to.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import BadRequest

from certtrack_shared import production

from .errors import API_PREFIX
from .openapi import UNSTORABLE_TEXT

csrf = CSRFProtect()

# Pages load only their own CSS, images and scripts; nothing may frame them (clickjacking).
# Scripts may connect to the site and to the payment processor, which the checkout
# page hands the card to (PAYMENT_SANDBOX_URL; docs/decisions/0017).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self' {processor}; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(payment_url: str) -> str:
    parts = urlsplit(payment_url or "")
    processor = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return CONTENT_SECURITY_POLICY.format(processor=processor).replace(" ;", ";")


def install(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_protect_site_forms)
    app.before_request(_refuse_unstorable_text)
    app.extensions["transport_security_headers"] = production.transport_security_headers(
        app.config["CERTTRACK_ENV"])
    app.after_request(_defensive_headers)


def _protect_site_forms() -> None:
    if not request.path.startswith(API_PREFIX):
        # apply_exemptions skips unrouted requests, so an unknown URL stays a 404.
        csrf.protect(apply_exemptions=True)


def _refuse_unstorable_text() -> None:
    """A form field, query argument or URL part with text no service can store
    (NUL, lone surrogates: PostgreSQL refuses them, and the service answered
    500) is a 400 before any service is asked; the API's JSON bodies are
    checked in openapi.py."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if not request.path.startswith(API_PREFIX):  # reading an API body here would skip its size cap
        values += request.form.values()
    if any(isinstance(value, str) and UNSTORABLE_TEXT.search(value) for value in values):
        raise BadRequest("The request contains characters that cannot be stored.")


def default_headers(payment_url: str) -> list[tuple[str, str]]:
    """What every answer of the site says unless it says otherwise."""
    # Set-password and reset links carry their token in the path: never send
    # it to another site in a Referer.
    return [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
            ("Content-Security-Policy", content_security_policy(payment_url)), ("X-Frame-Options", "DENY")]


def _defensive_headers(response):
    headers = response.headers
    for name, value in default_headers(current_app.config.get("PAYMENT_SANDBOX_URL", "")):
        headers.setdefault(name, value)
    headers.update(current_app.extensions["transport_security_headers"])
    if request.path.startswith(API_PREFIX):
        # API answers are personal data; no shared cache may keep them.
        headers.setdefault("Cache-Control", "no-store")
    return response
