"""The gateway's request metrics, and the port that serves them.

Requests are counted by route, the URL rule that matched (`/verify/<code>`),
never the path a client sent, and by method and status: a client can reach
only the rules the app defines, the methods listed here ("other" for any
other) and the statuses the app answers, so no request makes a new series.
A path matching no rule counts as route "unmatched".

Gunicorn runs several worker processes. With `METRICS_PORT` set,
gunicorn.conf.py puts prometheus_client in multiprocess mode (each worker
writes its series to files in `PROMETHEUS_MULTIPROC_DIR`) and gunicorn's
master serves their sum on that port (`serve`): a scrape sees every worker,
and the public site never answers `/metrics`.
"""
from __future__ import annotations

import socketserver
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Flask, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "certtrack_http_requests",
    "Requests answered by the gateway, by method, URL rule and status.",
    ["method", "route", "status"])
LATENCY = Histogram(
    "certtrack_http_request_duration_seconds",
    "Time from the start of the gateway's handling of a request to its response, "
    "by method and URL rule.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def install(app: Flask) -> None:
    """Count every request of `app`. Call before anything else registers
    request hooks: the clock starts before theirs, and the status is read
    after theirs changed the response."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)
    app.after_request(_count)


def _start_clock():
    g.metrics_started = time.perf_counter()


def _count(response):
    rule = request.url_rule
    count(request.method, rule.rule if rule is not None else UNMATCHED, response.status_code,
          g.get("metrics_started"))
    return response


def count(method: str, route: str, status: int, started: float | None) -> None:
    """One request answered: by Flask (above) or in front of it (transcripts/passthrough.py)."""
    method = method if method in METHODS else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)


# -- the metrics port (gunicorn's master) --------------------------------------------

def every_worker_app(environ, start_response):
    """`GET /metrics`: the sum of every worker's files; 404 for anything else."""
    from prometheus_client import multiprocess

    if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    # A registry per scrape, as multiprocess mode asks: it reads the files afresh.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    body = generate_latest(registry)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                              ("Content-Length", str(len(body)))])
    return [body]


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the name wsgiref calls
        """A scrape every few seconds is not worth a log line."""


def serve(host: str, port: int) -> WSGIServer:
    """Serve `every_worker_app` on (host, port) from a daemon thread; returns the server."""
    server = make_server(host, port, every_worker_app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
