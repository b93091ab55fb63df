"""Forwarding the public verification paths to the transcripts service's web app.

Production routes `/verify/<code>` and `/api/v1/verify/<code>` to the
transcripts web app at the ingress (services/transcripts/transcripts/public_web.py,
deploy/k8s/base/ingress.yaml). Where everything shares one port — `make run`, the
e2e stack, Docker Compose — the gateway passes those two paths on to the
app at `TRANSCRIPTS_WEB_URL`. Unset, they answer 503 (as for any service that
cannot be reached) and the log says why: there is no second implementation of
verification in the gateway to fall back on.

Two ways in, one connection (web_app.py): a verification link as links are
made takes the pass-through in front of Flask (passthrough.py, decision
0036); anything else on those paths (a HEAD, an unusual character, a body)
reaches the Flask views of verify.py and `forward()` here, with every check
of the site, as does a link whose forward failed, to be answered with the
site's error page.
"""
from __future__ import annotations

import logging
import os
from urllib.parse import quote

from flask import Flask, Response, current_app, request

from certtrack_shared.tracing import correlation

from ..errors import ServiceUnreachable
from . import passthrough
from .web_app import WebApp, forwarded_headers

log = logging.getLogger(__name__)

# Characters a query string may carry as they are; any other byte is percent-encoded.
_QUERY_SAFE = b"!#$%&'()*+,/:;=?@[]~"


def install(app: Flask) -> None:
    app.config.setdefault("TRANSCRIPTS_WEB_URL", os.environ.get("TRANSCRIPTS_WEB_URL", ""))
    app.config["TRANSCRIPTS_WEB_URL"] = app.config["TRANSCRIPTS_WEB_URL"].rstrip("/")
    if app.config["TRANSCRIPTS_WEB_URL"]:
        app.extensions["transcripts_web"] = WebApp(app.config["TRANSCRIPTS_WEB_URL"], app.config["RPC_TIMEOUT"])
        app.wsgi_app = passthrough.VerificationPassThrough(app, app.wsgi_app)


def forward() -> Response:
    """This GET, as the transcripts web app answers it."""
    failed = request.environ.get(passthrough.FAILED)
    if failed is not None:  # the pass-through tried already: the site's error answer
        raise failed
    if not current_app.config["TRANSCRIPTS_WEB_URL"]:
        log.error("TRANSCRIPTS_WEB_URL is not set: %s cannot be passed on to the transcripts web app",
                  request.path)  # the path only: the query string carries the access code
        raise ServiceUnreachable("the transcripts web app is not configured")
    target = quote(request.path, safe="/")
    if request.query_string:
        target += "?" + quote(request.query_string, safe=_QUERY_SAFE)
    headers = forwarded_headers(request.remote_addr, request.scheme, request.headers.get("Accept"),
                                correlation.current())
    answer = current_app.extensions["transcripts_web"].get(target, headers)
    try:
        body = answer.read()
    finally:
        answer.close()
    kept = [(name, value) for name, value in answer.headers if name != "Content-Length"]
    return Response(body, status=answer.status, headers=kept)
