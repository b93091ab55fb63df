"""Gunicorn settings for the gateway: `gunicorn -c gateway/gunicorn.conf.py`.

Threads, not eventlet: the gateway's Nameko RPC proxies are blocking and
pooled per process (gateway/rpc.py), one per thread at a time.
"""
import gc
import glob
import importlib
import os
import shutil
import tempfile

# Makes `gateway.app` importable without PYTHONPATH, as in the command above.
pythonpath = os.path.dirname(os.path.abspath(__file__))
wsgi_app = "gateway.app:create_app()"

# Loopback unless told otherwise (BIND=0.0.0.0 in a container).
bind = f"{os.environ.get('BIND', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
# WEB_CONCURRENCY is the name gunicorn and most platforms already use.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4
# Longer than the RPC timeout (10 s by default), so a slow service yields a
# 504 page rather than a killed worker.
timeout = 30
graceful_timeout = 20

# Paths only, with link tokens masked: query strings and the Referer can
# carry access codes and set-password tokens (gateway/access_log.py).
logger_class = "gateway.access_log.AccessLogger"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
accesslog = "-"
errorlog = "-"


# METRICS_PORT: request metrics of every worker, summed, on a port of their own
# (never the public site; gateway/metrics.py). Multiprocess mode must be chosen
# before prometheus_client is first imported, in this master and so in every
# worker it forks: hence here, at the top of the settings.
METRICS_PORT = os.environ.get("METRICS_PORT", "").strip()
_MADE_METRICS_DIR = None
if METRICS_PORT:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _MADE_METRICS_DIR = tempfile.mkdtemp(prefix="certtrack-gateway-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _MADE_METRICS_DIR
    # Files of an earlier run would be added to this one's counts.
    for _stale in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(_stale)


def when_ready(server):
    """Once the site listens: the metrics port, served by this master, which
    handles no request itself and outlives every worker."""
    if METRICS_PORT:
        from gateway.metrics import serve

        host = os.environ.get("METRICS_BIND") or os.environ.get("BIND", "127.0.0.1")
        serve(host, int(METRICS_PORT))
        server.log.info("metrics of every worker on http://%s:%s/metrics", host, METRICS_PORT)


def child_exit(server, worker):
    # A worker's counters stay in its files; only its live gauges go.
    if METRICS_PORT:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _MADE_METRICS_DIR:
        shutil.rmtree(_MADE_METRICS_DIR, ignore_errors=True)


def on_starting(server):
    """Before binding and forking: the app module's `check_settings()`, if it has one,
    then the app itself.

    A production process with insecure settings (certtrack_shared/production.py)
    or settings that cannot run exits here with one message naming them.

    The app is built here, once, rather than by each worker: the workers share its
    pages copy-on-write (decision 0037). This is gunicorn's `preload_app`, which
    would build it before this check and answer bad settings with a traceback. Every
    connection (broker, Redis, database) opens on first use, so none is made here and
    shared across the fork. gc.freeze() keeps the collector from writing to, and so
    copying, the pages of these objects in every worker.
    """
    module = importlib.import_module(server.app.app_uri.partition(":")[0])
    check = getattr(module, "check_settings", None)
    if check is not None:
        check()
    server.app.wsgi()
    gc.freeze()
