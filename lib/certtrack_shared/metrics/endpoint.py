"""The service process's metrics port: `GET /metrics` on `METRICS_PORT`.

Served by eventlet's WSGI server in a green thread, so a scrape (and the
database query behind the outbox gauges) yields to the hub like any worker.
One server per process however many containers it runs (tests run several):
the first container to start opens it, the last to stop closes it. Nothing
else is answered there, and it is never the public site: the port is its own,
bound to loopback unless `METRICS_BIND` says otherwise (0.0.0.0 in a pod,
where Prometheus scrapes it from another).

`METRICS_PORT` unset (or empty) means no server: nothing listens.
"""
from __future__ import annotations

import logging
import os

import eventlet
import eventlet.wsgi
from nameko.extensions import SharedExtension
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from certtrack_shared.metrics.series import REGISTRY

log = logging.getLogger(__name__)


def metrics_app(environ, start_response):
    if environ.get("PATH_INFO") != "/metrics" or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    body = generate_latest(REGISTRY)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST),
                              ("Content-Length", str(len(body)))])
    return [body]


class _Server:
    """The process's one listening socket and the green thread serving it."""

    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self.socket = eventlet.listen(self.address)
        self.port = self.socket.getsockname()[1]  # port 0 (tests): the one the system chose
        self.thread = eventlet.spawn(
            eventlet.wsgi.server, self.socket, metrics_app, log_output=False,
            # A slow scraper must not hold a green thread forever.
            socket_timeout=30)
        self.users = 0

    def close(self):
        self.thread.kill()
        self.socket.close()


_server: _Server | None = None


class MetricsPortError(Exception):
    """METRICS_PORT names no port this process can listen on: the service does not start."""


def serving_port() -> int | None:
    """The port this process serves metrics on, if it does."""
    return _server.port if _server is not None else None


def _setting(config, name: str) -> str:
    return str(config.get(name) or os.environ.get(name, "") or "").strip()


class MetricsEndpoint(SharedExtension):
    """Opens the process's metrics port when a service container starts."""

    def setup(self):
        global _server
        self.serving = False
        raw = _setting(self.container.config, "METRICS_PORT")
        if not raw:
            return
        try:
            port = int(raw)
        except ValueError:
            raise MetricsPortError(f"METRICS_PORT must be a port number, not {raw[:50]!r}") from None
        host = _setting(self.container.config, "METRICS_BIND") or "127.0.0.1"
        if _server is None:
            try:
                _server = _Server(host, port)
            except OSError as error:
                # Fail the start: a replica silently without metrics would look healthy.
                raise MetricsPortError(f"cannot serve metrics on {host}:{port} (METRICS_PORT): "
                                 f"{error}") from None
            log.info("metrics on http://%s:%s/metrics", host, _server.port)
        elif port not in (0, _server.port):
            log.warning("this process already serves metrics on port %s; METRICS_PORT=%s of %s "
                        "is not opened", _server.port, port, self.container.service_name)
        _server.users += 1
        self.serving = True

    def stop(self):
        self._release()

    def kill(self):
        self._release()

    def _release(self):
        global _server
        if not self.serving or _server is None:
            return
        self.serving = False
        _server.users -= 1
        if _server.users <= 0:
            _server.close()
            _server = None
