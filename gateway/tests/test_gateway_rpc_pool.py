"""The pooled RPC client against real RabbitMQ and a real Nameko service (probe_service.py)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests
from flask import Blueprint, current_app

from tests.harness.broker import _api

pytestmark = pytest.mark.slow

TIMEOUT = 1.0
POOL_SIZE = 4


def _probe_routes():
    api = Blueprint("rpc_probe_api", __name__, url_prefix="/api/v1/rpc-probe")

    @api.get("/echo/<value>")
    def echo(value):
        return {"value": current_app.extensions["rpc"].call("probe", "echo", value)}

    @api.get("/slow/<float:seconds>")
    def slow(seconds):
        return current_app.extensions["rpc"].call("probe", "slow", seconds)

    @api.get("/wrong-arguments")
    def wrong_arguments():
        return current_app.extensions["rpc"].call("probe", "echo")

    site = Blueprint("rpc_probe_site", __name__)

    @site.get("/rpc-probe/slow/<float:seconds>")
    def slow_page(seconds):
        current_app.extensions["rpc"].call("probe", "slow", seconds)
        return "done"

    return api, site


@pytest.fixture
def live_app(make_app, amqp_uri, probe):
    app = make_app(AMQP_URI=amqp_uri, RPC_TIMEOUT=TIMEOUT, RPC_POOL_SIZE=POOL_SIZE, SERVICES=("probe",))
    for blueprint in _probe_routes():
        app.register_blueprint(blueprint)
    return app


@pytest.fixture
def pool(live_app):
    return live_app.extensions["rpc"]


def test_calls_from_many_threads_share_at_most_pool_size_proxies(pool):
    with ThreadPoolExecutor(max_workers=8) as threads:
        answers = list(threads.map(lambda n: pool.call("probe", "echo", n), range(50)))

    assert answers == list(range(50))
    assert 1 <= pool.created <= POOL_SIZE


def test_one_thread_reuses_one_proxy(pool):
    for n in range(50):
        assert pool.call("probe", "echo", n) == n

    assert pool.created == 1


def test_slow_service_is_a_json_504_within_about_the_timeout(live_app, pool):
    client = live_app.test_client()
    pool.call("probe", "health")

    started = time.monotonic()
    response = client.get("/api/v1/rpc-probe/slow/3.0")
    elapsed = time.monotonic() - started

    assert response.status_code == 504
    assert response.json["error"]["code"] == "service_timeout"
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 1.0


def test_after_a_timeout_the_pool_answers_the_next_calls_with_their_own_replies(live_app, pool):
    client = live_app.test_client()
    pool.call("probe", "health")
    assert client.get("/api/v1/rpc-probe/slow/2.0").status_code == 504

    # The slow reply arrives during these calls; none of them may receive it.
    deadline = time.monotonic() + 2.0
    n = 0
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/rpc-probe/echo/call-{n}")
        assert response.status_code == 200
        assert response.json == {"value": f"call-{n}"}
        n += 1
    # The timed-out proxy was stopped and replaced, never lent again.
    assert pool.created == 2


def test_timed_out_proxy_is_stopped_and_its_reply_queue_deleted(live_app, pool, vhost):
    pool.call("probe", "health")
    reply_queue = _reply_queue_of(pool._slots.queue[-1])
    assert reply_queue in _queues(vhost.name)

    assert live_app.test_client().get("/api/v1/rpc-probe/slow/1.5").status_code == 504

    # Gone, so the late reply has nowhere to wait for a reader.
    assert _eventually(lambda: reply_queue not in _queues(vhost.name), within=10)


def test_slow_service_is_a_friendly_504_page_on_the_site(live_app):
    response = live_app.test_client().get("/rpc-probe/slow/3.0")

    assert response.status_code == 504
    assert response.mimetype == "text/html"
    assert "CertTrack is taking too long" in response.get_data(as_text=True)


def test_a_service_error_keeps_the_proxy_and_reveals_nothing(live_app, pool):
    client = live_app.test_client()
    pool.call("probe", "health")

    response = client.get("/api/v1/rpc-probe/wrong-arguments")

    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert client.get("/api/v1/rpc-probe/echo/after").json == {"value": "after"}
    assert pool.created == 1


def test_a_proxy_whose_connection_the_broker_closed_is_replaced(pool, vhost):
    pool.call("probe", "health")
    idle = pool._slots.queue[-1]
    port = idle._standalone._reply_listener.queue_consumer.connection.connection.sock.getsockname()[1]

    connection = _eventually(lambda: _connection_from_port(vhost.name, port), within=15)
    url, auth = _api(f"connections/{quote(connection, safe='')}")
    requests.delete(url, auth=auth, timeout=10).raise_for_status()
    assert _eventually(lambda: not idle.is_alive(), within=10)

    assert pool.call("probe", "echo", "still here") == "still here"
    assert pool.created == 2


def test_readyz_is_200_when_the_broker_and_every_service_answer(live_app):
    response = live_app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ok", "components": {"broker": "ok", "probe": "ok"}}


def test_readyz_is_503_naming_the_services_that_do_not_answer(make_app, amqp_uri, probe):
    services = ("probe", "identity", "exams", "certs", "fulfillment", "transcripts")
    app = make_app(AMQP_URI=amqp_uri, RPC_TIMEOUT=TIMEOUT, SERVICES=services)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["components"] == {
        "broker": "ok", "probe": "ok",
        "identity": "unavailable", "exams": "unavailable", "certs": "unavailable",
        "fulfillment": "unavailable", "transcripts": "unavailable",
    }


def test_readyz_without_any_service_running_names_all_of_them(make_app, amqp_uri):
    app = make_app(AMQP_URI=amqp_uri, RPC_TIMEOUT=TIMEOUT)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    failing = {name for name, status in response.json["components"].items() if status != "ok"}
    assert failing == set(app.config["SERVICES"])


def test_unreachable_broker_is_a_json_503(make_app):
    app = make_app()  # AMQP_URI points at a port nothing listens on
    for blueprint in _probe_routes():
        app.register_blueprint(blueprint)

    response = app.test_client().get("/api/v1/rpc-probe/echo/x")

    assert response.status_code == 503
    assert response.json["error"]["code"] == "service_unavailable"
    assert "127.0.0.1" not in response.get_data(as_text=True)


def _eventually(check, within: float):
    deadline = time.monotonic() + within
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def _queues(vhost: str) -> set[str]:
    url, auth = _api(f"queues/{quote(vhost, safe='')}")
    return {queue["name"] for queue in requests.get(url, auth=auth, timeout=10).json()}


def _reply_queue_of(proxy) -> str:
    return proxy._standalone._reply_listener.queue_consumer.queue.name


def _connection_from_port(vhost: str, port: int) -> str | None:
    url, auth = _api(f"vhosts/{quote(vhost, safe='')}/connections")
    for connection in requests.get(url, auth=auth, timeout=10).json():
        if connection.get("peer_port") == port:
            return connection["name"]
    return None
