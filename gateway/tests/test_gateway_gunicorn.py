"""The gunicorn settings and the access log they use."""
import os
import runpy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from gateway.access_log import AccessLogger, redact_path

CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gunicorn.conf.py")


def _settings(monkeypatch, **environment):
    for name in ("BIND", "PORT", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONF)


def test_defaults_are_two_threaded_workers_on_loopback_port_8000(monkeypatch):
    conf = _settings(monkeypatch)

    assert conf["bind"] == "127.0.0.1:8000"
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 2, 4)


def test_bind_port_and_workers_follow_the_environment(monkeypatch):
    conf = _settings(monkeypatch, BIND="0.0.0.0", PORT="9000", WEB_CONCURRENCY="5")

    assert conf["bind"] == "0.0.0.0:9000"
    assert conf["workers"] == 5


@pytest.mark.parametrize(
    "path, logged",
    [
        ("/first-time/Zm9vYmFyYmF6", "/first-time/…"),
        ("/reset-password/abc/extra", "/reset-password/…/extra"),
        ("/verify/TR-1234", "/verify/TR-1234"),
        ("/api/v1/me", "/api/v1/me"),
    ],
)
def test_link_tokens_are_masked(path, logged):
    assert redact_path(path) == logged


def test_access_log_line_has_no_query_string_token_or_referer(monkeypatch):
    conf = _settings(monkeypatch)
    config = Config()
    config.set("access_log_format", conf["access_log_format"])
    logger = AccessLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/first-time/SECRET-TOKEN?access_code=SECRET-CODE",
        "PATH_INFO": "/first-time/SECRET-TOKEN",
        "QUERY_STRING": "access_code=SECRET-CODE",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "http://127.0.0.1:8000/reset-password/OTHER-SECRET",
        "HTTP_USER_AGENT": "pytest",
    }
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer SECRET-BEARER"), ("REFERER", environ["HTTP_REFERER"])])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    line = config.access_log_format % SafeAtoms(atoms)

    assert "GET /first-time/… HTTP/1.1" in line
    assert "SECRET" not in line
    assert "SECRET" not in " ".join(str(value) for value in atoms.values())
