"""API operations declared with their pydantic models, and the OpenAPI
document built from those declarations and the app's URL map.

A view decorated with `@api_operation` gets its JSON body validated into
the request model (passed as `body`), and its return value validated
against the response model before it is sent. The same declarations are
the only source of the OpenAPI document, so it cannot drift from the code.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import UnsupportedMediaType

from certtrack_shared.contracts.envelope import decode_json

from .errors import InvalidRequestBody, MalformedJson
from .schemas import ErrorResponse

REF_TEMPLATE = "#/components/schemas/{model}"
# Operations whose view is marked `requires_bearer` (auth.tokens.bearer_required)
# declare this scheme: `Authorization: Bearer <token from POST /api/v1/auth/token>`.
BEARER_SCHEME = "bearerAuth"
SECURITY_SCHEMES = {
    BEARER_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "The candidate's access token from `POST /api/v1/auth/token`, "
        "sent as `Authorization: Bearer <access_token>`.",
    },
}
OPENAPI_VERSION = "3.1.0"  # pydantic emits JSON Schema 2020-12, which is what 3.1 uses
API_VERSION = "1"


@dataclass(frozen=True)
class Operation:
    summary: str
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # Other successful-but-different answers, e.g. {503: (Readiness, "Not ready")}.
    other_responses: dict[int, tuple[type[BaseModel], str]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()

    def model_for(self, status: int) -> type[BaseModel] | None:
        if status == self.status:
            return self.response
        if status in self.other_responses:
            return self.other_responses[status][0]
        raise ValueError(f"{status} is not a declared status of this operation")


def api_operation(
    *,
    summary: str,
    request: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    other_responses: dict[int, tuple[type[BaseModel], str]] | None = None,
    tags: tuple[str, ...] = (),
):
    """Declare a view as an API operation; see the module docstring.

    The view returns a model (or a dict fitting it), or `(value, status)`
    for one of `other_responses`, or a ready Flask `Response`.
    """
    operation = Operation(summary, request, response, status, dict(other_responses or {}), tags)

    def decorate(view):
        @functools.wraps(view)
        def endpoint(**url_values):
            if operation.request is not None:
                url_values["body"] = _request_body(operation.request)
            return _response(operation, view(**url_values))

        endpoint.api_operation = operation
        return endpoint

    return decorate


def _request_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise UnsupportedMediaType()
    try:
        # decode_json: also nesting too deep and over-long integers are the
        # client's malformed JSON, not a 500.
        payload = decode_json(request.get_data(cache=True) or b"")
    except ValueError:
        raise MalformedJson() from None
    unstorable = dict(_unstorable_text(payload, "body"))
    if unstorable:
        raise InvalidRequestBody(unstorable)
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise InvalidRequestBody.from_validation_error(error) from None


# NUL, which PostgreSQL text cannot hold, and lone UTF-16 surrogates (`"\ud800"` in JSON),
# which are no Unicode text and cannot be encoded as UTF-8 on the way to a service: refused
# in any string of any body, before a service sees them (found by the API fuzzing sweep,
# tests/security/test_schemathesis.py: a NUL in a registration number was a 500).
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def _unstorable_text(value, path: str):
    """(path, problem) for each string in a decoded JSON value that no service can store."""
    if isinstance(value, str):
        if UNSTORABLE_TEXT.search(value):
            yield path, "Text must not contain NUL characters or unpaired surrogates."
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable_text(key, path)
            yield from _unstorable_text(item, f"{path}.{key}" if path != "body" else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_text(item, f"{path}.{index}")


def _response(operation: Operation, result) -> Response:
    if isinstance(result, Response):
        return result
    status = operation.status
    if isinstance(result, tuple):
        result, status = result
    model = operation.model_for(status)
    if model is None:
        return Response(status=status)
    # A reply that does not fit its declared model is a bug here, not the
    # client's fault: the ValidationError is left to become a 500.
    value = result if isinstance(result, model) else model.model_validate(result)
    answer = jsonify(value.model_dump(mode="json"))
    answer.status_code = status
    return answer


def document_for(app: Flask) -> dict:
    """The OpenAPI document of `app`, built once (routes are fixed after start-up)."""
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = _build(app)
    return app.extensions["openapi"]


def _build(app: Flask) -> dict:
    declared = []
    bearer = set()  # operation ids that need the bearer token
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        operation = getattr(view, "api_operation", None)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        if operation is not None:
            for method in methods:
                # operationId must be unique: suffix the method only when a rule has several.
                suffix = f"_{method.lower()}" if len(methods) > 1 else ""
                operation_id = rule.endpoint.replace(".", "_") + suffix
                declared.append((rule, method.lower(), operation_id, operation))
                if getattr(view, "requires_bearer", False):
                    bearer.add(operation_id)

    # One pass over every model (rather than one model_json_schema() per model)
    # so shared and nested models become single components, and a model whose
    # request and response schemas differ gets two distinct names.
    wanted = {(ErrorResponse, "serialization")}
    for *_, operation in declared:
        if operation.request is not None:
            wanted.add((operation.request, "validation"))
        for status in [operation.status, *operation.other_responses]:
            model = operation.model_for(status)
            if model is not None:
                wanted.add((model, "serialization"))
    refs, definitions = models_json_schema(
        sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1])), ref_template=REF_TEMPLATE
    )

    paths: dict[str, dict] = {}
    for rule, method, operation_id, operation in declared:
        path, parameters = _openapi_path(rule.rule)
        entry = {
            "operationId": operation_id,
            "summary": operation.summary,
            "responses": _responses(operation, refs),
        }
        if operation.tags:
            entry["tags"] = list(operation.tags)
        if parameters:
            entry["parameters"] = parameters
        if operation.request is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(operation.request, "validation")]}},
            }
        if operation_id in bearer:
            entry["security"] = [{BEARER_SCHEME: []}]
            answers = entry["responses"]
            default = answers.pop("default")
            answers.setdefault("401", {
                "description": "`not_authenticated` (no bearer token) or `invalid_token` "
                "(forged, expired, or older than the last password change).",
                "content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}},
            })
            answers["default"] = default
        paths.setdefault(path, {})[method] = entry

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "CertTrack API",
            "version": API_VERSION,
            "description": "Candidates' exams, certifications, orders and transcripts. "
            "Every error is `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": SECURITY_SCHEMES},
    }


def _responses(operation: Operation, refs: dict) -> dict:
    error = {"content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}}
    answers = {}
    for status, description in [(operation.status, operation.summary), *(
        (code, text) for code, (_model, text) in operation.other_responses.items()
    )]:
        model = operation.model_for(status)
        answers[str(status)] = {"description": description}
        if model is not None:
            answers[str(status)]["content"] = {"application/json": {"schema": refs[(model, "serialization")]}}
    if operation.request is not None:
        answers["422"] = {
            "description": "The body does not fit the request schema; `fields` says where.", **error
        }
    answers["default"] = {"description": "Any other error.", **error}
    return answers


_CONVERTER_TYPES = {"int": "integer", "float": "number"}
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict]]:
    """Werkzeug's `/verify/<code>` → OpenAPI's `/verify/{code}` and its parameters."""
    parameters = [
        {
            "name": match["name"],
            "in": "path",
            "required": True,
            "schema": {"type": _CONVERTER_TYPES.get(match["converter"] or "", "string")},
        }
        for match in _VARIABLE.finditer(rule)
    ]
    return _VARIABLE.sub(lambda match: "{" + match["name"] + "}", rule), parameters
