"""Each request's correlation id and span (certtrack_shared/tracing).

A request is given an id as it arrives: the client's `X-Request-ID` when it
sent a usable one (a proxy in front, a vendor's own id), else a new one. The
id is bound while the request is handled, so the gateway's log lines carry
it; every RPC call made for the request sends it on (rpc.py), and so does a
vendor event published for it; the response names it in `X-Request-ID`, so a
person reporting a problem can quote it. When spans are exported, the
request runs in one, the parent of the services' spans.
"""
from __future__ import annotations

from flask import Flask, g, request

from certtrack_shared.tracing import correlation, spans


def install(app: Flask) -> None:
    spans.configure("gateway")

    @app.before_request
    def begin():
        correlation_id = (correlation.usable(request.headers.get(correlation.REQUEST_HEADER))
                          or correlation.new())
        g.correlation = (correlation_id, correlation.bind(correlation_id))
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        g.span = spans.start(
            f"{request.method} {rule}", "server",
            headers={key: request.headers[key] for key in ("traceparent", "tracestate")
                     if key in request.headers},
            attributes={"certtrack.correlation_id": correlation_id,
                        "http.request.method": request.method, "http.route": rule})

    @app.after_request
    def name_it(response):
        if "correlation" in g:
            response.headers[correlation.REQUEST_HEADER] = g.correlation[0]
            g.span.set_attribute("http.response.status_code", response.status_code)
        return response

    @app.teardown_request
    def end(error=None):
        span = g.pop("span", None)
        if span is not None:
            span.end(error)
        bound = g.pop("correlation", None)
        if bound is not None:
            correlation.unbind(bound[1])
