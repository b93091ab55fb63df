"""`python -m payment_sandbox` (PYTHONPATH=deploy): serve the sandbox until stopped.

Environment:
  PAYMENT_SANDBOX_PORT             port (default 8002)
  PAYMENT_SANDBOX_HOST             address to bind (default 127.0.0.1; 0.0.0.0 in a container)
  PAYMENT_SANDBOX_DATABASE         its SQLite file (default var/payment_sandbox.sqlite3)
  PAYMENT_SANDBOX_SECRET_KEY       the key servers charge with (default sk_test_certtrack_sandbox)
  PAYMENT_SANDBOX_ALLOWED_ORIGINS  comma-separated site origins whose pages may send it cards
                                   (default SITE_URL, else http://127.0.0.1:$PORT and
                                   http://localhost:$PORT with PORT 8000)
"""
from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORT = 8002
DEFAULT_SECRET_KEY = "sk_test_certtrack_sandbox"


class PathOnlyRequestHandler(WSGIRequestHandler):
    """Logs `METHOD /path status`, never a query string: a card put in a URL by mistake stays out of the log."""

    def log_request(self, code="-", size="-"):
        path = urlsplit(self.path).path
        self.log("info", '"%s %s" %s', self.command, path, getattr(code, "value", code))


def allowed_origins(env) -> set[str]:
    given = env.get("PAYMENT_SANDBOX_ALLOWED_ORIGINS")
    if given:
        return {origin.strip().rstrip("/") for origin in given.split(",") if origin.strip()}
    site = env.get("SITE_URL")
    if site:
        parts = urlsplit(site)
        return {f"{parts.scheme}://{parts.netloc}"}
    port = env.get("PORT") or "8000"
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    env = os.environ
    port = int(env.get("PAYMENT_SANDBOX_PORT") or DEFAULT_PORT)
    host = env.get("PAYMENT_SANDBOX_HOST") or "127.0.0.1"
    database = env.get("PAYMENT_SANDBOX_DATABASE") or str(ROOT / "var" / "payment_sandbox.sqlite3")
    origins = allowed_origins(env)
    app = create_app(database, env.get("PAYMENT_SANDBOX_SECRET_KEY") or DEFAULT_SECRET_KEY, origins)
    server = make_server(host, port, app, threaded=True, request_handler=PathOnlyRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a clean stop: the finally closes the socket
    logging.getLogger("payment_sandbox").info(
        "payment sandbox on http://%s:%s (test cards only; cards accepted from %s)", host, port,
        ", ".join(sorted(origins)))
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
