"""The transcripts service's second entrypoint: public verification over HTTP.

`gunicorn -c gateway/gunicorn.conf.py 'transcripts.public_web:create_app()'`
(PYTHONPATH=services/transcripts:lib; `deploy/entrypoint.sh transcripts-web`).

The verification page is the most-read page of CertTrack and must stay up
when other services or the broker are slow, so it is served next to its
projection: this small Flask app reads the transcripts database directly
(its own pooled SQLAlchemy Core engine) with the rules of
`transcripts.handlers.verification`, and touches neither RabbitMQ nor another
service. It serves exactly the public paths of CONTRACTS.md §5:

- `GET /verify/<code>` — the page: an access-code form (a GET form, so its
  result is the same URL as a shared link), opened directly when the link
  carries `?access_code=`; the transcript, or "expired" / "deactivated", or
  "not found" / "too many attempts" with the form again;
- `GET /api/v1/verify/<code>?access_code=…` — the same as JSON, with the
  gateway's error shape and codes (404 `transcript_not_found`, 410
  `transcript_inactive`, 429 `too_many_attempts` with `Retry-After`),
  answered as plain WSGI in front of Flask (`VerifyApi`: the hottest path);
- `GET /healthz` (the process is up) and `GET /readyz` (the database answers).

Production routes `/verify/` and `/api/v1/verify/` here (deploy/k8s/base/ingress.yaml)
and keeps `/verify/certificate/…` on the gateway. Single-port setups (`make
run`, the e2e stack, Compose) run it on its own port and the gateway forwards
the two paths (gateway/gateway/transcripts/verify.py, `TRANSCRIPTS_WEB_URL`).

Settings (environment; `create_app(config)` overrides): `TRANSCRIPTS_DATABASE_URL`,
`TRANSCRIPTS_WEB_DB_POOL` (connections per process, default 8: gunicorn's
threads and a margin), `TRUSTED_PROXY_COUNT` (how many proxies in front of
this app append to `X-Forwarded-For`; 0, the default, ignores the header,
so a client cannot choose the address the rate limits count), `CERTTRACK_ENV`.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import date, datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qs

from flask import Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from certtrack_shared import config as shared
from certtrack_shared import production
from certtrack_shared.clock import Clock, pinned_day

from transcripts.handlers import verification
from transcripts.exceptions import TooManyAttempts, TranscriptInactive, TranscriptNotFound

log = logging.getLogger(__name__)

# The gateway's CSP (gateway/gateway/security.py): the page loads only the site's own CSS and images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# The gateway's answers for the same errors (gateway/gateway/errors.py), word for word.
ERRORS = {
    TranscriptNotFound: (404, "transcript_not_found", "No transcript matches this code and access code."),
    TranscriptInactive: (410, "transcript_inactive", "This transcript has expired or was deactivated by its owner."),
    TooManyAttempts: (429, "too_many_attempts", "Too many failed attempts. Wait a few minutes, then try again."),
}
DEFAULT_POOL = 8
RECYCLE_SECONDS = 1800  # connections older than this are replaced (server-side idle limits)


# Now, aware UTC, with the day CERTTRACK_TODAY pins, as in the Nameko services.
now = Clock(pinned_day({}))


def check_settings() -> None:
    """gunicorn.conf.py calls it in gunicorn's master: production refuses insecure settings."""
    problems = _insecure(_settings(None))
    if problems:
        raise SystemExit(production.refusal("transcripts-web", problems))


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None, template_folder="templates")
    app.json.sort_keys = False
    app.config.update(_settings(config))
    problems = _insecure(app.config)
    if problems:
        raise RuntimeError(production.refusal("transcripts-web", problems))
    app.extensions["transcripts_db"] = database_engine(app.config["DATABASE_URL"], app.config["DB_POOL"])
    app.extensions["transcripts_connections"] = ThreadConnections(app.extensions["transcripts_db"])
    app.extensions["response_headers"] = {
        **PRIVATE_HEADERS, **production.transport_security_headers(app.config["CERTTRACK_ENV"])}
    app.wsgi_app = VerifyApi(app.extensions["transcripts_connections"], app.wsgi_app,
                             app.extensions["response_headers"])
    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies:
        # The client is the address the last trusted proxy saw; anything further left in
        # X-Forwarded-For was written by the client and is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)

    app.add_url_rule("/verify/<code>", "page", page)
    # Answered by VerifyApi before Flask; the rule stays so that the URL map lists it.
    app.add_url_rule("/api/v1/verify/<code>", "verify_api", verify_api)
    app.add_url_rule("/healthz", "healthz", lambda: {"status": "ok"})
    app.add_url_rule("/readyz", "readyz", readyz)
    app.after_request(_private)
    app.register_error_handler(Exception, _unexpected)
    app.add_template_filter(_day, "day")
    app.add_template_filter(_moment, "moment")
    app.context_processor(lambda: {"development": app.config["CERTTRACK_ENV"] == "development"})
    return app


def _settings(overrides: dict | None) -> dict:
    settings = {
        "CERTTRACK_ENV": shared.environment(),
        "DATABASE_URL": shared.database_url("transcripts"),
        "DB_POOL": _count("TRANSCRIPTS_WEB_DB_POOL", DEFAULT_POOL, minimum=1),
        "TRUSTED_PROXY_COUNT": _count("TRUSTED_PROXY_COUNT", 0, minimum=0),
    }
    settings.update(overrides or {})
    return settings


def _insecure(settings) -> list[str]:
    """Its one connection, the transcripts database, checked as production checks every process's."""
    return production.problems_at_start(settings["CERTTRACK_ENV"], {"TRANSCRIPTS_DATABASE_URL": settings["DATABASE_URL"]})


def _count(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise RuntimeError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def database_engine(url: str, pool: int) -> Engine:
    """Autocommit connections: each statement is its own transaction, so a verification is
    one round trip (transcripts/handlers/verification.py) with no BEGIN or COMMIT around it, and a
    refused attempt is recorded although the request answers an error."""
    if url.startswith("sqlite"):  # `make run` without PostgreSQL
        return create_engine(url, isolation_level="AUTOCOMMIT",
                             connect_args={"check_same_thread": False, "timeout": 30})
    # Plain (not green) psycopg2: gunicorn's threads, not eventlet. No pre-ping per
    # checkout: a connection lost to a database restart fails one request and is replaced.
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=pool, max_overflow=pool,
                         pool_recycle=RECYCLE_SECONDS, pool_pre_ping=False)


class ThreadConnections:
    """The API's connection: one per gunicorn thread, kept from one verification to the next.

    Checking a connection out of SQLAlchemy's pool and back in (its `Connection`
    object, the queue, the reset on return) cost about as much Python time per
    verification as building the answer. A thread runs one request at a time, so it
    can keep its own; they are still the engine's pooled connections (counted in
    `TRANSCRIPTS_WEB_DB_POOL`). What the pool did for us is kept: a connection that
    failed (e.g. lost to a database restart) is dropped, so that request fails and
    the next one connects anew, and a connection older than `RECYCLE_SECONDS` is
    replaced.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set = set()  # every thread's, for `close`

    def get(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None and time.monotonic() < self._local.recycle_at:
            return connection
        self.drop()
        connection = self.engine.connect()
        with self._lock:
            self._open.add(connection)
        self._local.connection, self._local.recycle_at = connection, time.monotonic() + RECYCLE_SECONDS
        return connection

    def drop(self, invalidate: bool = False) -> None:
        """This thread's connection goes (back to the pool, or closed for good when `invalidate`)."""
        connection, self._local.connection = getattr(self._local, "connection", None), None
        if connection is None:
            return
        with self._lock:
            self._open.discard(connection)
        if invalidate:
            connection.invalidate()
        connection.close()

    def close(self) -> None:
        """Every thread's connection back to the pool (tests, before disposing the engine)."""
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            connection.close()


def _verify(code: str):
    access_code = request.args.get("access_code", "").strip()
    with current_app.extensions["transcripts_db"].connect() as connection:
        return verification.verify_transcript(connection, code, access_code, request.remote_addr, now())


# -- the two public paths ----------------------------------------------------------------------
def page(code: str):
    if not request.args.get("access_code", "").strip():
        return render_template("web/verify.html", code=code, state="ask")
    try:
        verified = _verify(code)
    except TranscriptNotFound:
        return render_template("web/verify.html", code=code, state="not_found"), 404
    except TranscriptInactive as error:
        return render_template("web/verify.html", code=code, state=error.detail.get("state", "expired")), 410
    except TooManyAttempts as error:
        seconds = error.detail.get("retry_after_seconds", 60)
        return (render_template("web/verify.html", code=code, state="too_many", retry_after=seconds), 429,
                {"Retry-After": str(seconds)})
    return render_template("web/verify.html", code=code, state="shown", transcript=verified)


def verify_api(code: str):
    """Only what VerifyApi passes on to Flask (HEAD); the same answer."""
    status, body, headers = api_answer(current_app.extensions["transcripts_connections"], code,
                                       request.args.get("access_code", ""), request.remote_addr)
    return Response(body, status=status, headers=headers, mimetype="application/json")


def api_answer(connections: ThreadConnections, code: str, access_code: str, client_address: str | None):
    """(status, JSON body, extra headers) of `GET /api/v1/verify/<code>`."""
    try:
        verified = verification.verify_transcript(connections.get(), code, access_code.strip(), client_address,
                                                  now())
    except (TranscriptNotFound, TranscriptInactive, TooManyAttempts) as error:
        status, body = REFUSALS[type(error)]
        if isinstance(error, TooManyAttempts):
            return status, body, [("Retry-After", str(error.detail.get("retry_after_seconds", 60)))]
        return status, body, []
    except BaseException:
        connections.drop(invalidate=True)  # it may be broken: the next request connects anew
        raise
    # Exactly the contract's shape (absent, not null, where the display options hide something),
    # written as pydantic's `model_dump_json` writes it: compact, UTF-8.
    return 200, json.dumps(verified, ensure_ascii=False, separators=(",", ":")).encode(), []


REFUSALS = {kind: (status, json.dumps({"error": {"code": code, "message": message, "fields": {}}}).encode())
            for kind, (status, code, message) in ERRORS.items()}


class VerifyApi:
    """`GET /api/v1/verify/<code>` as plain WSGI, in front of Flask; every other request
    goes on to Flask.

    The hottest path of the system, and the benchmark's: py-spy showed Flask's
    request machinery (context, routing, hooks, response object) taking about a
    third of this app's Python time per verification, more than the verification
    itself. This answers exactly as `verify_api` above would (same JSON, codes and
    headers; the tests call the API through the app and so through this), with none
    of that. The page stays on Flask: it renders a template anyway.
    """

    PREFIX = "/api/v1/verify/"

    def __init__(self, connections: ThreadConnections, flask_wsgi, headers: dict[str, str]):
        self.connections = connections
        self.flask_wsgi = flask_wsgi
        self.headers = list(headers.items())

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        code = path[len(self.PREFIX):] if path.startswith(self.PREFIX) else ""
        if environ.get("REQUEST_METHOD") != "GET" or not code or "/" in code:
            return self.flask_wsgi(environ, start_response)
        code = code.encode("latin-1").decode("utf-8", "replace")  # as Flask's routing decodes it
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            status, body, extra = api_answer(self.connections, code, (query.get("access_code") or [""])[0],
                                             environ.get("REMOTE_ADDR"))
        except Exception:  # noqa: BLE001 — as Flask's handler answers it: logged (path only), 500
            log.exception("Unhandled error on GET %s", path)
            status, body, extra = 500, json.dumps({"error": {
                "code": "internal_error", "fields": {},
                "message": "Something went wrong on our side. Please try again later."}}).encode(), []
        start_response(f"{status} {HTTPStatus(status).phrase}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            *self.headers, *extra])
        return [body]


def readyz():
    try:
        with current_app.extensions["transcripts_db"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any failure means "not ready"; the reason goes to the log
        log.warning("transcripts database not answering", exc_info=True)
        return {"status": "unavailable", "components": {"database": "unavailable"}}, 503
    return {"status": "ok", "components": {"database": "ok"}}


# -- every answer ------------------------------------------------------------------------------
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
}


def _private(response):
    """A person's record as of this moment, reached with a secret: never cached, indexed,
    framed, or sent on in a Referer; in production, only over HTTPS (HSTS). (One dict
    update: this runs on the hottest path.)"""
    response.headers.update(current_app.extensions["response_headers"])
    return response


def _unexpected(error: Exception):
    """The gateway's JSON error shape on the API path, plain words on the page; never a trace.
    Logged with the path only: the query string carries the access code."""
    if isinstance(error, HTTPException):
        status, code, message = error.code or 500, "not_found" if error.code == 404 else "bad_request", error.name
    else:
        log.error("Unhandled error on %s %s", request.method, request.path, exc_info=error)
        status, code, message = 500, "internal_error", "Something went wrong on our side. Please try again later."
    if request.path.startswith("/api/"):
        return jsonify({"error": {"code": code, "message": message, "fields": {}}}), status
    return Response(message, status=status, mimetype="text/plain")


def _day(value) -> str:
    """`2026-12-01` → `1 Dec 2026`."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{day.day} {day:%b %Y}"


def _moment(value) -> str:
    """`2026-12-01T11:42:00Z` → `1 Dec 2026, 11:42 UTC`."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)
    return f"{moment.day} {moment:%b %Y}, {moment:%H:%M} UTC"
