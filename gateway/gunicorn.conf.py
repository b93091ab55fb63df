"""Gunicorn settings for the gateway: `gunicorn -c gateway/gunicorn.conf.py`.

Threads, not eventlet: the gateway's Nameko RPC proxies are blocking and
pooled per process (gateway/rpc.py), one per thread at a time.
"""
import importlib
import os

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


def on_starting(server):
    """Before binding and forking: the app module's `check_settings()`, if it has one.

    A production process with insecure settings (certtrack_shared/production.py)
    or settings that cannot run exits here with one message naming them.
    """
    module = importlib.import_module(server.app.app_uri.partition(":")[0])
    check = getattr(module, "check_settings", None)
    if check is not None:
        check()
