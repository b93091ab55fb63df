"""Forwarding the public verification paths to the transcripts service's web app.

Production routes `/verify/<code>` and `/api/v1/verify/<code>` to the
transcripts web app at the ingress (services/transcripts/transcripts/public_web.py,
deploy/k8s/base/ingress.yaml). Where everything shares one port — `make run`, the
e2e stack, Docker Compose — the gateway passes those two paths on to the
app at `TRANSCRIPTS_WEB_URL`. Unset, they answer 503 (as for any service that
cannot be reached) and the log says why: there is no second implementation of
verification in the gateway to fall back on.

The gateway trusts no proxy in front of itself, so it sends the address it
saw as the only `X-Forwarded-For` (dropping any the client wrote); the web
app trusts exactly one proxy there (`TRUSTED_PROXY_COUNT=1`).
"""
from __future__ import annotations

import logging
import os

import urllib3
from flask import Flask, Response, current_app, request

from certtrack_shared.tracing import correlation

from ..errors import ServiceTimeout, ServiceUnreachable

log = logging.getLogger(__name__)

# What the web app decides about its answer; hop-by-hop and framing headers stay behind.
KEPT_HEADERS = ("Content-Type", "Cache-Control", "X-Robots-Tag", "Retry-After", "Referrer-Policy",
                "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")


def install(app: Flask) -> None:
    app.config.setdefault("TRANSCRIPTS_WEB_URL", os.environ.get("TRANSCRIPTS_WEB_URL", ""))
    app.config["TRANSCRIPTS_WEB_URL"] = app.config["TRANSCRIPTS_WEB_URL"].rstrip("/")
    if app.config["TRANSCRIPTS_WEB_URL"]:
        # Thread-safe, keep-alive connections: one pool per gateway process.
        app.extensions["transcripts_web"] = urllib3.PoolManager(maxsize=8, retries=False)


def forward() -> Response:
    """This GET, as the transcripts web app answers it."""
    if not current_app.config["TRANSCRIPTS_WEB_URL"]:
        log.error("TRANSCRIPTS_WEB_URL is not set: %s cannot be passed on to the transcripts web app",
                  request.path)  # the path only: the query string carries the access code
        raise ServiceUnreachable("the transcripts web app is not configured")
    target = current_app.config["TRANSCRIPTS_WEB_URL"] + request.path
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    headers = {"X-Forwarded-For": request.remote_addr or "", "X-Forwarded-Proto": request.scheme,
               "Accept": request.headers.get("Accept", "*/*"),
               # Its access line is then found with the gateway's (certtrack_shared/tracing).
               correlation.REQUEST_HEADER: correlation.current() or ""}
    try:
        answer = current_app.extensions["transcripts_web"].request(
            "GET", target, headers=headers, redirect=False,
            timeout=urllib3.Timeout(connect=2.0, read=current_app.config["RPC_TIMEOUT"]))
    except urllib3.exceptions.ReadTimeoutError:
        raise ServiceTimeout("the transcripts web app did not answer in time") from None
    except urllib3.exceptions.HTTPError:  # refused, connect timeout, reset, …
        raise ServiceUnreachable("the transcripts web app cannot be reached") from None
    kept = {name: answer.headers[name] for name in KEPT_HEADERS if name in answer.headers}
    return Response(answer.data, status=answer.status, headers=kept)
