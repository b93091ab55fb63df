"""Verification links passed on in front of Flask: the single-port path's short way (decision 0036).

A transcript's link (`/verify/<code>?access_code=…`, and its API twin) is the
most-read request of CertTrack, and where everything shares one port the
gateway only passes it on to the transcripts web app. Through Flask that
cost a request context, the session cookie's decoding, the CSRF and text
checks and every hook of the site, about as much again as the web app's own
work (docs/benchmarks.md "Verification"). Here, before Flask, such a request
is recognised by a plain pattern, sent on this thread's kept-alive connection
(web_app.py) and its answer streamed back, with the site's defensive headers,
its `X-Request-ID`, its span and its count under the URL rule.

Only what a link looks like takes this way: GET, a code and a query of
URL-safe characters (codes and access codes are `token_urlsafe`), no body.
Nothing else, so nothing a check of the site would refuse, and no cookie or
authorization is ever read here, nor passed on. Anything else on those paths
goes to the Flask views (verify.py), which forward it with every check; so
does a link whose forward failed, marked with its error (`FAILED`), to be
answered like any error of the site: the error page or the API's JSON shape.
"""
from __future__ import annotations

import re
import time

from flask import Flask

from certtrack_shared.tracing import correlation, spans

from .. import metrics, security
from .web_app import forwarded_headers

FAILED = "certtrack.verification_forward_failed"  # the WSGI environ key verify.py's views look for
ROUTES = {False: "/verify/<code>", True: "/api/v1/verify/<code>"}  # the Flask rules, for the metrics
_LINK = re.compile(r"/(api/v1/)?verify/[A-Za-z0-9_-]{1,200}")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.~=&-]{0,2000}")


class VerificationPassThrough:
    """WSGI middleware: verification links to the transcripts web app, everything else to `wsgi_app`."""

    def __init__(self, app: Flask, wsgi_app):
        self.wsgi_app = wsgi_app
        self._web = app.extensions["transcripts_web"]
        # What the site's after-request hooks would add (security.py, auth's no-store): a
        # verification shows a person's record, so it is never cached, whoever asks.
        self._defaults = [*security.default_headers(app.config.get("PAYMENT_SANDBOX_URL", "")),
                          ("Cache-Control", "no-store")]
        self._transport = list(app.extensions["transport_security_headers"].items())

    def __call__(self, environ, start_response):
        link = _LINK.fullmatch(environ.get("PATH_INFO", ""))
        if link is None or environ.get("REQUEST_METHOD") != "GET" \
                or not _PLAIN_QUERY.fullmatch(environ.get("QUERY_STRING", "")) \
                or environ.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in environ:
            return self.wsgi_app(environ, start_response)
        return self._pass_on(environ, start_response, ROUTES[link.group(1) is not None])

    def _pass_on(self, environ, start_response, route: str):
        started = time.perf_counter()
        correlation_id = correlation.usable(environ.get("HTTP_X_REQUEST_ID")) or correlation.new()
        bound = correlation.bind(correlation_id)
        span = spans.start(f"GET {route}", "server",
                           headers={key: environ[name] for key, name in (("traceparent", "HTTP_TRACEPARENT"),
                                                                         ("tracestate", "HTTP_TRACESTATE"))
                                    if name in environ},
                           attributes={"certtrack.correlation_id": correlation_id,
                                       "http.request.method": "GET", "http.route": route})
        target = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        try:
            answer = self._web.get(target, forwarded_headers(
                environ.get("REMOTE_ADDR"), environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_ACCEPT"),
                correlation_id))
        except Exception as error:  # noqa: BLE001 - answered by the site's error handling, below
            span.end(error)
            correlation.unbind(bound)
            environ[FAILED] = error
            environ["HTTP_X_REQUEST_ID"] = correlation_id  # the id the web app may have logged
            return self.wsgi_app(environ, start_response)
        start_response(f"{answer.status} {answer.reason or 'Unknown'}", self._headers(answer, correlation_id))
        metrics.count("GET", route, answer.status, started)
        span.set_attribute("http.response.status_code", answer.status)
        span.end()
        correlation.unbind(bound)
        return answer  # its body is read from the web app as the server sends it

    def _headers(self, answer, correlation_id: str) -> list[tuple[str, str]]:
        headers = answer.headers + [default for default in self._defaults
                                    if not any(name == default[0] for name, _ in answer.headers)]
        transport = {name for name, _ in self._transport}
        return [header for header in headers if header[0] not in transport] + self._transport \
            + [(correlation.REQUEST_HEADER, correlation_id)]
