"""Every API error has the one JSON shape; site errors are pages; nothing shows a stack trace."""
import pytest
from flask import Blueprint, jsonify
from nameko.exceptions import RemoteError
from pydantic import BaseModel, Field

from gateway import errors
from gateway.openapi import api_operation


class Address(BaseModel):
    line1: str
    country: str = Field(min_length=2, max_length=2)


class Order(BaseModel):
    sku: str
    quantity: int = Field(gt=0)
    ship_to: Address


class OrderAccepted(BaseModel):
    order_id: str


class Broken(Exception):
    pass


def _routes():
    api = Blueprint("errors_probe_api", __name__, url_prefix="/api/v1/error-probe")

    @api.post("/orders")
    @api_operation(request=Order, response=OrderAccepted, status=201, summary="Place an order")
    def place_order(body: Order):
        return {"order_id": f"ORD-{body.sku}"}

    @api.get("/crash")
    def crash():
        raise Broken("secret internals: password=hunter2")

    @api.get("/bad-reply")
    @api_operation(response=OrderAccepted, summary="A view whose reply breaks its model")
    def bad_reply():
        return {"unexpected": True}

    @api.get("/remote/<exc_type>")
    def remote(exc_type):
        raise RemoteError(exc_type, "CSCO10000001 not in table candidates (sql: SELECT …)")

    site = Blueprint("errors_probe_site", __name__)

    @site.get("/crash")
    def site_crash():
        raise Broken("secret internals")

    return api, site


@pytest.fixture
def client(app):
    for blueprint in _routes():
        app.register_blueprint(blueprint)
    return app.test_client()


def _assert_error_shape(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"}
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


def test_unknown_api_path_is_a_json_404(client):
    _assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_a_json_405_naming_the_allowed_ones(client):
    response = client.delete("/api/v1/openapi.json")

    _assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_invalid_body_is_a_422_with_each_failing_field(client):
    response = client.post(
        "/api/v1/error-probe/orders", json={"sku": "CCNA-CERT", "quantity": 0, "ship_to": {"country": "USA"}}
    )

    _assert_error_shape(response, 422, "validation_failed")
    assert set(response.json["error"]["fields"]) == {"quantity", "ship_to.line1", "ship_to.country"}
    assert "greater than 0" in response.json["error"]["fields"]["quantity"]


def test_valid_body_reaches_the_view_and_the_reply_fits_its_model(client):
    response = client.post(
        "/api/v1/error-probe/orders", json={"sku": "CCNA", "quantity": 1, "ship_to": {"line1": "1 Main St", "country": "US"}}
    )

    assert response.status_code == 201
    assert response.json == {"order_id": "ORD-CCNA"}


def test_malformed_json_is_a_400(client):
    response = client.post(
        "/api/v1/error-probe/orders", data=b'{"sku": ', headers={"Content-Type": "application/json"}
    )

    _assert_error_shape(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [
    b"[" * 100_000 + b"]" * 100_000,  # nested past Python's recursion limit
    b'{"sku": ' + b"9" * 5000 + b"}",  # an integer too long to convert
], ids=["nested-100000-deep", "integer-of-5000-digits"])
def test_json_the_parser_cannot_take_is_a_400_not_a_500(client, body):
    response = client.post(
        "/api/v1/error-probe/orders", data=body, headers={"Content-Type": "application/json"}
    )

    _assert_error_shape(response, 400, "malformed_json")


def test_a_body_that_is_not_json_is_a_415(client):
    _assert_error_shape(client.post("/api/v1/error-probe/orders", data={"sku": "x"}), 415, "unsupported_media_type")


def test_too_large_body_is_a_413(client):
    response = client.post(
        "/api/v1/error-probe/orders", data=b"[" + b"1," * 600_000 + b"1]", headers={"Content-Type": "application/json"}
    )

    _assert_error_shape(response, 413, "payload_too_large")


def test_unexpected_api_error_is_a_plain_500_without_internals(client, caplog):
    response = client.get("/api/v1/error-probe/crash")

    _assert_error_shape(response, 500, "internal_error")
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "hunter2" not in body and "Broken" not in body
    # …but the operator gets the whole story in the log.
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)


def test_a_reply_that_breaks_its_model_is_a_500_not_the_clients_422(client):
    _assert_error_shape(client.get("/api/v1/error-probe/bad-reply"), 500, "internal_error")


def test_unexpected_site_error_is_a_friendly_page_without_internals(client):
    response = client.get("/crash")

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "Traceback" not in page and "secret internals" not in page


def test_unknown_site_page_is_a_friendly_404_page(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.get_data(as_text=True)
    assert 'href="/"' in response.get_data(as_text=True)


def test_service_domain_error_maps_through_the_table(client, monkeypatch):
    monkeypatch.setitem(
        errors.ERRORS, "CandidateNotFound",
        errors.Problem(404, "candidate_not_found", "Candidate not found", "No candidate has that ID."),
    )

    response = client.get("/api/v1/error-probe/remote/CandidateNotFound")

    _assert_error_shape(response, 404, "candidate_not_found")
    assert response.json["error"]["message"] == "No candidate has that ID."


def test_unmapped_service_error_is_a_500_that_reveals_nothing(client):
    response = client.get("/api/v1/error-probe/remote/IntegrityError")

    _assert_error_shape(response, 500, "internal_error")
    assert "sql" not in response.get_data(as_text=True).lower()
