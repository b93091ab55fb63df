"""The gateway's routes, read from its URL map and its OpenAPI document, classified for the sweeps.

Nothing here lists routes one by one: a route is swept because of what its
URL arguments are called and which methods it takes, so a new route is
covered without editing the sweeps. What an argument *means* is the one
table to keep (OWNED and NOT_OWNED); an argument in neither fails
`test_every_url_argument_is_classified`, so a new kind of identifier cannot
slip past the ownership sweep unnoticed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from werkzeug.routing import IntegerConverter

# URL argument → the kind of object a candidate owns that it names.
OWNED = {
    "certification_id": "certification",
    "order_id": "order",
    "code": "transcript",
    "identity_id": "credential",
    "credential_id": "credential",
    "ticket_id": "ticket",
    "activity_id": "ce_submission",
    "submission_id": "ce_submission",
    "document_id": "document",
}
# URL arguments that name nothing a candidate owns, and why.
NOT_OWNED = {
    "token": "a mailed link's secret: the token is the credential, not an identifier",
    "filename": "static files",
    "program": "a program of the catalog (staff console; the digital badges' public issuer documents)",
    "service": "a CertTrack service (staff console)",
    "dead_letter_id": "a dead letter (staff console)",
    "broker_user": "a vendor's broker user (staff console)",
    "candidate_id": "a candidate, looked up by staff (staff console)",
    "key_id": "a vendor API key (staff console); an issuer's public signing key (digital badges)",
    "format": "a download's file format (json, jwt, png, svg)",
    "number": "a program's numbered revocation status list (public, digital badges)",
    "staff_id": "a staff account (staff console)",
}
# A URL argument whose value must be one of a few words (a converter's `any(…)`): one of them.
SAMPLES = {"format": "json"}
# Routes that take an owned kind's identifier yet are not a candidate's: who may use them, and why.
NOT_A_CANDIDATES = {
    "/staff/": "the staff console: staff read every candidate's records by role (decision 0009)",
}
PUBLIC = {
    "verify.page": "public verification: a third party's page, by share code and access code",
    "verify_api.verify_api": "public verification: a third party's API, by share code and access code",
    "certificate_verification.page": "public certificate verification, by the code printed on it",
    "certificate_verification.api": "public certificate verification, by the code printed on it",
    "credentials.achievement": "a catalog certification as an Open Badges achievement: public, the same for all",
    "credentials.achievement_image": "a catalog certification's badge image: public, the same for all",
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
API_PREFIX = "/api/"


@dataclass(frozen=True)
class Route:
    method: str
    rule: str  # Flask's form: /api/v1/me/orders/<order_id>
    endpoint: str
    arguments: dict[str, bool] = field(hash=False, compare=False)  # name → is an integer
    in_openapi: bool = False

    @property
    def api(self) -> bool:
        return self.rule.startswith(API_PREFIX)

    @property
    def owned(self) -> dict[str, str]:
        """argument → owned kind, for a candidate's route ({} otherwise)."""
        if self.endpoint in PUBLIC or any(self.rule.startswith(prefix) for prefix in NOT_A_CANDIDATES):
            return {}
        return {name: OWNED[name] for name in self.arguments if name in OWNED}

    def path(self, values: dict[str, str]) -> str:
        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), self.rule)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}" + (" (OpenAPI)" if self.in_openapi else "")


def _plain(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def gateway_routes(app, openapi: dict) -> list[Route]:
    """Every method of every rule of the URL map, marked when the OpenAPI document has it.
    An operation of the document missing from the URL map raises: the two must agree."""
    documented = {(method.upper(), path) for path, operations in openapi["paths"].items()
                  for method in operations if method != "parameters"}
    routes = []
    for rule in app.url_map.iter_rules():
        arguments = {name: isinstance(converter, IntegerConverter) for name, converter in rule._converters.items()}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            key = (method, _plain(rule.rule))
            routes.append(Route(method, rule.rule, rule.endpoint, arguments, key in documented))
            documented.discard(key)
    if documented:
        raise AssertionError(f"OpenAPI operations the gateway does not route: {sorted(documented)}")
    return sorted(routes, key=lambda route: (route.rule, route.method))


def request_body(openapi: dict, route: Route, overrides: dict) -> dict | None:
    """A small valid JSON body for the route's documented request body (None if it has none)."""
    operation = openapi["paths"].get(_plain(route.rule), {}).get(route.method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    return None if schema is None else _instance(openapi, schema, overrides, "")


def _instance(openapi, schema, overrides, name):
    if name in overrides:
        return overrides[name]
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _instance(openapi, schema["anyOf"][0], overrides, name)
    kind = schema.get("type")
    if kind == "object":
        return {prop: _instance(openapi, sub, overrides, prop) for prop, sub in schema.get("properties", {}).items()
                if prop in schema.get("required", ())}
    if kind == "array":
        return [_instance(openapi, schema["items"], overrides, name) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return "x" * max(8, schema.get("minLength", 1))
