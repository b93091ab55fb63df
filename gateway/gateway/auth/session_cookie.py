"""The candidate's session cookie, re-signed at most once a minute while it is used.

Flask re-signs and re-sends a permanent session's cookie on every request,
so that its idle lifetime (`PERMANENT_SESSION_LIFETIME`, 2 hours) counts from
the last request. py-spy put signing and setting the cookie at a tenth of a
page's CPU under load (docs/benchmarks.md, "Candidate dashboard"; about
50 µs by itself, of a page's 2.6 ms on a quiet core). Here a cookie is sent
again when the session changed, or when the one the browser sent was signed
`REFRESH_AFTER_SECONDS` ago or more: the idle lifetime then counts from a
request at most a minute before the last one, and nothing else changes (the
signature, its age limit and the absolute lifetime of auth/session.py).
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

REFRESH_AFTER_SECONDS = 60


class SessionCookie(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or \
            (datetime.now(timezone.utc) - signed_at).total_seconds() >= REFRESH_AFTER_SECONDS


def install(app: Flask) -> None:
    app.session_interface = SessionCookie()
