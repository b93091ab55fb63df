"""Access logging that keeps secrets out of the logs.

Query strings can carry transcript access codes, and the first-time and
reset-password links carry a one-use token in the path; a log line with
either would let anyone who reads the logs use them. The access log
therefore records the path only, with those tokens masked.
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

# Paths whose last segment is a credential (CONTRACTS.md §5 mail links, and the
# email-confirmation link identity mails).
_TOKEN_PATHS = re.compile(r"^(/(?:first-time|reset-password|confirm-email)/)[^/]+")

def redact_path(path: str) -> str:
    return _TOKEN_PATHS.sub(r"\1…", path or "")


class AccessLogger(Logger):
    """Gunicorn's logger with the request atoms stripped of credentials."""

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
