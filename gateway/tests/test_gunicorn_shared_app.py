"""gunicorn.conf.py builds the app once, in gunicorn's master, after the
settings check (decision 0037): the workers fork with it built and share its
pages, instead of each building, and holding, its own copy."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.harness.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]

# Says which process built it and which one answers.
PROBE_APP = '''
import os


def create_app():
    built_by = os.getpid()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [f"{built_by} {os.getpid()}".encode()]

    return app
'''


def test_the_workers_answer_with_the_app_their_master_built(tmp_path):
    (tmp_path / "probe_app.py").write_text(PROBE_APP)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "WEB_CONCURRENCY": "2", "METRICS_PORT": ""}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    master = subprocess.Popen(
        [str(gunicorn), "-c", "gateway/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--no-control-socket",
         "probe_app:create_app()"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        answers: list[str] = []
        deadline = time.monotonic() + 60
        while len(answers) < 10 and time.monotonic() < deadline:
            assert master.poll() is None, "gunicorn exited"
            try:
                answers.append(requests.get(f"http://127.0.0.1:{port}/", timeout=5).text)
            except requests.RequestException:
                time.sleep(0.2)
        built_by = {int(answer.split()[0]) for answer in answers}
        answered_by = {int(answer.split()[1]) for answer in answers}
        assert built_by == {master.pid}
        assert answered_by and master.pid not in answered_by
    finally:
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(30)
