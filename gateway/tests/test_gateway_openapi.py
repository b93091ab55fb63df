import pytest
from flask import Blueprint
from openapi_spec_validator import validate
from pydantic import BaseModel

from gateway.auth.tokens import bearer_required
from gateway.openapi import api_operation


class ProbeRequest(BaseModel):
    description: str
    valid_through: str


class ProbeReply(BaseModel):
    code: str
    url: str


@pytest.fixture
def document(app):
    # An operation with a body and a path parameter, as later API areas will have.
    extra = Blueprint("openapi_probe", __name__, url_prefix="/api/v1/openapi-probe")

    @extra.post("/candidates/<candidate_id>/transcripts")
    @api_operation(request=ProbeRequest, response=ProbeReply, status=201, summary="Create a transcript")
    def create_transcript(candidate_id, body):
        return {"code": "T1", "url": "/verify/T1"}

    @extra.get("/mine")
    @bearer_required
    @api_operation(response=ProbeReply, summary="A candidate's own thing")
    def mine(candidate):
        return {"code": "T2", "url": "/verify/T2"}

    app.register_blueprint(extra)
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_describes_the_health_probes_and_itself(document):
    assert {"/healthz", "/readyz", "/api/v1/openapi.json"} <= set(document["paths"])
    readyz = document["paths"]["/readyz"]["get"]["responses"]
    assert readyz["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Readiness"}
    assert readyz["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Readiness"}


def test_error_shape_is_a_component_every_operation_refers_to(document):
    schemas = document["components"]["schemas"]
    assert schemas["ErrorResponse"]["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "fields"}
    for path in document["paths"].values():
        for operation in path.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorResponse"
            }


def test_operations_with_a_body_declare_it_and_their_422(document):
    operation = document["paths"]["/api/v1/openapi-probe/candidates/{candidate_id}/transcripts"]["post"]

    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProbeRequest"
    }
    assert operation["parameters"] == [
        {"name": "candidate_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert set(operation["responses"]) == {"201", "422", "default"}
    assert "ProbeRequest" in document["components"]["schemas"]


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = set(refs(document))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas


def test_bearer_security_is_declared_once_and_used_by_bearer_operations(document):
    validate(document)
    assert document["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]
                       ["bearerAuth"]["description"]},
    }
    mine = document["paths"]["/api/v1/openapi-probe/mine"]["get"]
    assert mine["security"] == [{"bearerAuth": []}]
    assert mine["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert list(mine["responses"])[-1] == "default"


def test_exactly_the_operations_whose_views_require_a_bearer_token_declare_it(app, document):
    from gateway.openapi import _openapi_path

    guarded = {
        _openapi_path(rule.rule)[0] for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "requires_bearer", False)
    }
    assert {"/api/v1/me", "/api/v1/openapi-probe/mine"} <= guarded
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert ("security" in operation) == (path in guarded), path
    assert "security" not in document["paths"]["/api/v1/auth/token"]["post"]
    assert document["paths"]["/api/v1/me"]["patch"]["security"] == [{"bearerAuth": []}]
