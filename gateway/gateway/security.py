"""Browser-facing protections: CSRF on site forms and defensive response headers.

The API is exempt from CSRF by path rather than blueprint by blueprint: it
authenticates with bearer tokens, which a browser never attaches on its
own, and every future API blueprint is covered without remembering to.
"""
from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from .errors import API_PREFIX

csrf = CSRFProtect()

# Pages load only their own CSS and images; nothing may frame them (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def install(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_protect_site_forms)
    app.after_request(_defensive_headers)


def _protect_site_forms() -> None:
    if not request.path.startswith(API_PREFIX):
        # apply_exemptions skips unrouted requests, so an unknown URL stays a 404.
        csrf.protect(apply_exemptions=True)


def _defensive_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Set-password and reset links carry their token in the path: never send
    # it to another site in a Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(API_PREFIX):
        # API answers are personal data; no shared cache may keep them.
        headers.setdefault("Cache-Control", "no-store")
    return response
