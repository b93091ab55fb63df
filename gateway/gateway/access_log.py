"""Access logging that keeps secrets out of the logs.

Query strings can carry transcript access codes, and the first-time and
reset-password links carry a one-use token in the path; a log line with
either would let anyone who reads the logs use them. The access log
therefore records the path only, with those tokens masked.
"""
from __future__ import annotations

import logging
import os
import re

from gunicorn.glogging import Logger

from certtrack_shared.tracing import correlation, logs

# Paths whose last segment is a credential (CONTRACTS.md §5 mail links, and the
# email-confirmation link identity mails).
_TOKEN_PATHS = re.compile(r"^(/(?:first-time|reset-password|confirm-email)/)[^/]+")

def redact_path(path: str) -> str:
    return _TOKEN_PATHS.sub(r"\1…", path or "")


class AccessLogger(Logger):
    """Gunicorn's logger with the request atoms stripped of credentials, its
    lines (and the app's) in CertTrack's format (JSON unless LOG_FORMAT=plain),
    each access line with its request's correlation id."""

    def setup(self, cfg):
        super().setup(cfg)
        # The gateway and the transcripts web app share these settings: the
        # app's module names which one wrote a line (the command line's app,
        # which gunicorn keeps as the default process name, else the settings').
        app = cfg.proc_name if ":" in (cfg.proc_name or "") else (cfg.wsgi_app or "gateway")
        service = app.partition(":")[0].removesuffix(".app")
        formatter = logs.formatter(service, os.environ.get("LOG_FORMAT", "json"))
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(formatter)
        # The app's own loggers (gateway.*, certtrack_shared.*) reach the root
        # logger, which gunicorn leaves without a handler: INFO would be lost.
        root = logging.getLogger()
        if not any(getattr(handler, "_certtrack", False) for handler in root.handlers):
            handler = logging.StreamHandler()
            handler._certtrack = True
            root.addHandler(handler)
            root.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
        for handler in root.handlers:
            if getattr(handler, "_certtrack", False):
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        # Logged once the request is over, so its id is read back off the
        # response (the gateway's), else off the request (what the gateway
        # forwarded to the transcripts web app).
        request_id = next((value for name, value in getattr(resp, "headers", None) or ()
                           if str(name).lower() == correlation.REQUEST_HEADER.lower()),
                          (environ or {}).get("HTTP_X_REQUEST_ID"))
        with correlation.bound(correlation.usable(request_id)):
            super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        # The raw request line, query string and Referer would still carry
        # them if someone changed the format; so would the WSGI environ
        # atoms (`{RAW_URI}e`, …), which are dropped altogether.
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = "-"
        atoms["f"] = "-"
        return {
            key: value
            for key, value in atoms.items()
            if not key.endswith("}e") and key.lower() not in _SECRET_HEADER_ATOMS
        }


_SECRET_HEADER_ATOMS = {"{authorization}i", "{cookie}i", "{referer}i", "{set-cookie}o"}
