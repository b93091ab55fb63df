"""A test run killed before its teardown leaves its vhost on the broker, with a
hundred quorum queues the broker keeps running; the next run removes it, and
never the vhost of a run that may still be going, nor anyone else's."""
from __future__ import annotations

import time

import requests

from tests.harness.broker import LEFTOVER_AFTER_SECONDS, Vhost, _api, leftovers


def vhost_names() -> set[str]:
    url, auth = _api("vhosts?columns=name")
    return {vhost["name"] for vhost in requests.get(url, auth=auth, timeout=30).json()}


def test_only_runs_older_than_any_run_can_last_are_leftovers():
    now = time.time()
    old = f"certtrack-test-{int(now) - LEFTOVER_AFTER_SECONDS - 60}-0a1b2c3d"
    recent = f"certtrack-test-{int(now) - 600}-0a1b2c3d"
    assert leftovers([old, recent, "/", "certtrack-test-0a1b2c3d4e", "production", f"x{old}"], now) == [old]


def test_a_new_run_removes_a_killed_runs_vhost_and_leaves_a_running_ones(vhost):
    killed = Vhost(f"certtrack-test-{int(time.time()) - LEFTOVER_AFTER_SECONDS - 60}-0a1b2c3d")
    url, auth = _api(f"vhosts/{killed.name}")
    requests.put(url, auth=auth, timeout=30).raise_for_status()

    new = Vhost().create()
    try:
        names = vhost_names()
        assert killed.name not in names
        assert {new.name, vhost.name} <= names  # this run's own vhost, still in use, stays
    finally:
        new.delete()
