"""`POST /api/v1/vendor/events`: vendor API keys, contract validation and publishing
with confirms — exams' key RPCs faked (gateway/tests/fakes/staff_desks.py), the broker real."""
from __future__ import annotations

import json
import logging

import pytest

from .fakes.staff_desks import StaffDesks
from tests.harness.messages import capture_queue, drain
from tests.harness.vendor import registration, result, revocation

from .accounts import api_error

URL = "/api/v1/vendor/events"
NO_BROKER = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1


@pytest.fixture
def desks():
    return StaffDesks()


@pytest.fixture
def vendor_app(make_app, desks, amqp_uri):
    app = make_app(AMQP_URI=amqp_uri, RPC_TIMEOUT=5.0)
    app.extensions["rpc"].close()
    app.extensions["rpc"] = desks
    yield app
    app.extensions["vendor_publishers"].close()


@pytest.fixture
def vendor(vendor_app):
    return vendor_app.test_client()


@pytest.fixture
def published(amqp_uri):
    """What a consumer of vendor.events would receive (every routing key)."""
    return capture_queue(amqp_uri, "vendor.events", "#")


def post(client, body, key=None, **kwargs):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(URL, json=body, headers=headers, **kwargs)


@pytest.mark.parametrize("make, event_type", [
    (registration, "exam_registration"), (result, "exam_result"), (revocation, "exam_result_revoked"),
])
def test_a_valid_message_is_confirmed_by_the_broker_then_answered_202(
        vendor, desks, published, amqp_uri, make, event_type):
    key = desks.vendor_keys.issue(vendor="pearson_vue")
    body = make("REG-1")

    response = post(vendor, body, key)

    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted", "event_id": body["event_id"],
                                   "event_type": event_type}
    [message] = drain(amqp_uri, published, quiet_seconds=0.3)
    assert json.loads(message["body"]) == body
    assert message["message_id"] == body["event_id"]
    assert message["properties"]["delivery_mode"] == 2
    assert message["properties"]["content_type"] == "application/json"
    assert desks.vendor_keys.called("authenticate_vendor_key") == [{"key": key}]


def test_without_a_key_401(vendor, published, amqp_uri):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = vendor.post(URL, json=result("REG-2"), headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "vendor_key_required"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


def test_an_unknown_or_revoked_key_401(vendor, desks, published, amqp_uri):
    key = desks.vendor_keys.issue()
    unknown = post(vendor, result("REG-3"), "ctv_" + "x" * 43)
    desks.vendor_keys.revoke_vendor_key(1, "admin@certtrack.example")
    revoked = post(vendor, result("REG-3"), key)

    for response in (unknown, revoked):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_vendor_key"
    assert unknown.get_json() == revoked.get_json()
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


def test_a_key_of_another_vendor_403(vendor, desks, published, amqp_uri):
    key = desks.vendor_keys.issue(vendor="prometric")

    response = post(vendor, result("REG-4"), key)

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "vendor_mismatch"
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


def test_a_key_for_cisco_posting_a_juniper_result_403_and_nothing_published(
        vendor, desks, published, amqp_uri):
    key = desks.vendor_keys.issue(programs=["cisco"])

    response = post(vendor, dict(result("REG-J1"), program="juniper"), key)

    error = api_error(response, 403, "program_not_in_key_scope")
    assert error["fields"] == {"program": "This API key may post messages for: cisco."}
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


@pytest.mark.parametrize("programs, program", [
    (["juniper"], "juniper"), (["cisco", "juniper"], "juniper"), (["cisco", "juniper"], "cisco"),
])
def test_a_key_within_its_scope_202(vendor, desks, published, amqp_uri, programs, program):
    key = desks.vendor_keys.issue(programs=programs)
    body = dict(result("REG-J2"), program=program)

    response = post(vendor, body, key)

    assert response.status_code == 202
    [message] = drain(amqp_uri, published, quiet_seconds=0.3)
    assert json.loads(message["body"]) == body


def test_an_expired_key_401_and_nothing_published(vendor, desks, published, amqp_uri):
    key = desks.vendor_keys.issue()
    desks.vendor_keys.expire(1)

    response = post(vendor, result("REG-X1"), key)

    error = api_error(response, 401, "vendor_key_expired")
    assert "expired" in error["message"] and "new" in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


@pytest.mark.parametrize("body, fields", [
    (dict(result("R"), result="fail"), {"body"}),  # disagrees with the score
    ({k: v for k, v in result("R").items() if k != "taken_at"}, {"taken_at"}),
    (dict(registration("R"), candidate={"first_name": "J", "last_name": "D", "email": "nope"}),
     {"candidate.email"}),
    (dict(result("R"), schema_version=2), {"schema_version"}),
    (dict(result("R"), schema_version=True), {"schema_version"}),
    (dict(revocation("R"), revoked_at="2026-12-09T10:00:00"), {"revoked_at"}),
    ({"schema_version": 1, "event_id": "x", "vendor": "pearson_vue"}, {"body"}),  # no known shape
    ([1, 2], {"body"}),
])
def test_an_invalid_body_422_with_fields(vendor, desks, published, amqp_uri, body, fields):
    key = desks.vendor_keys.issue()

    response = post(vendor, body, key)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == fields
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


def test_a_body_over_the_message_cap_413_and_nothing_published(vendor, desks, published, amqp_uri):
    key = desks.vendor_keys.issue()
    body = dict(result("R-BIG"), notes="x" * 300 * 1024)  # valid but for its size

    response = post(vendor, body, key)

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


@pytest.mark.parametrize("depth", [33, 100_000])
def test_a_body_nested_too_deep_422_and_nothing_published(vendor, desks, published, amqp_uri, depth):
    key = desks.vendor_keys.issue()
    body = json.dumps(result("R-DEEP"))[:-1] + ', "notes": ' + "[" * depth + "]" * depth + "}"

    response = vendor.post(URL, data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "nested deeper than 32" in error["fields"]["body"]
    assert drain(amqp_uri, published, quiet_seconds=0.2) == []


def test_not_json_is_refused(vendor, desks):
    key = desks.vendor_keys.issue()
    headers = {"Authorization": f"Bearer {key}"}
    for response, status in ((vendor.post(URL, data="score=1", headers=headers), 415),
                             (vendor.post(URL, data="{", headers=headers, content_type="application/json"), 400)):
        assert response.status_code == status
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}


def test_a_broker_that_is_down_503_and_nothing_is_promised(make_app, desks):
    app = make_app(AMQP_URI=NO_BROKER)
    app.extensions["rpc"] = desks
    key = desks.vendor_keys.issue()

    response = post(app.test_client(), result("REG-5"), key)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


@pytest.fixture
def private_vhost():
    from tests.harness.broker import Vhost

    vhost = Vhost().create()
    yield vhost
    vhost.delete()


def _vendor_client(make_app, desks, amqp_uri):
    app = make_app(AMQP_URI=amqp_uri, RPC_TIMEOUT=5.0)
    app.extensions["rpc"] = desks
    return app.test_client()


def test_a_message_the_broker_refuses_503_never_202(make_app, desks, private_vhost):
    """The broker nacks the publish (its only queue is full and rejects): not accepted."""
    from kombu import Connection, Exchange, Queue

    with Connection(private_vhost.amqp_uri) as connection:
        full = Queue("vendor.full", Exchange("vendor.events", "topic", durable=True), routing_key="#",
                     queue_arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
        full(connection.default_channel).declare()
    key = desks.vendor_keys.issue()

    response = post(_vendor_client(make_app, desks, private_vhost.amqp_uri), result("REG-7"), key)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_a_message_no_queue_would_receive_503_never_202(make_app, desks, private_vhost):
    """`vendor.events` exists but routes nowhere (published mandatory, returned): not accepted."""
    from kombu import Connection, Exchange

    with Connection(private_vhost.amqp_uri) as connection:
        Exchange("vendor.events", "topic", durable=True)(connection.default_channel).declare()
    key = desks.vendor_keys.issue()

    response = post(_vendor_client(make_app, desks, private_vhost.amqp_uri), result("REG-8"), key)

    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_the_key_is_never_logged(vendor, desks, caplog, published):
    key = desks.vendor_keys.issue()
    caplog.set_level(logging.DEBUG)
    post(vendor, result("REG-6"), key)
    post(vendor, result("REG-6"), key + "x")
    post(vendor, dict(result("REG-6"), vendor="prometric"), key)
    post(vendor, dict(result("REG-6"), program="juniper"), key)

    assert key not in caplog.text
    assert key[8:] not in caplog.text


def test_the_operation_is_in_the_openapi_document(vendor):
    document = vendor.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/vendor/events"]["post"]
    assert {"202", "401", "403", "422", "503"} <= set(operation["responses"])
    assert "`vendor_key_expired`" in operation["responses"]["401"]["description"]
    assert "`program_not_in_key_scope`" in operation["responses"]["403"]["description"]
    assert "`program`" in operation["summary"] and "expired" in operation["summary"]
    assert "`score`" in operation["summary"] and "`reason`" in operation["summary"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/VendorEvent"}
    assert len(document["components"]["schemas"]["VendorEvent"]["anyOf"]) == 3
