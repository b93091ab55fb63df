import pytest
from flask import Blueprint
from openapi_spec_validator import validate
from pydantic import BaseModel

from gateway.openapi import api_operation


class TranscriptRequest(BaseModel):
    description: str
    valid_through: str


class Transcript(BaseModel):
    code: str
    url: str


@pytest.fixture
def document(app):
    # An operation with a body and a path parameter, as later API areas will have.
    extra = Blueprint("openapi_probe", __name__, url_prefix="/api/v1/openapi-probe")

    @extra.post("/candidates/<candidate_id>/transcripts")
    @api_operation(request=TranscriptRequest, response=Transcript, status=201, summary="Create a transcript")
    def create_transcript(candidate_id, body):
        return {"code": "T1", "url": "/verify/T1"}

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
        "$ref": "#/components/schemas/TranscriptRequest"
    }
    assert operation["parameters"] == [
        {"name": "candidate_id", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert set(operation["responses"]) == {"201", "422", "default"}
    assert "TranscriptRequest" in document["components"]["schemas"]


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
