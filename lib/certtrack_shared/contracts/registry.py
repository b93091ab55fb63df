"""Which model parses a message: (exchange, routing key, schema_version) → model."""
from __future__ import annotations

from certtrack_shared.contracts import certs, exams, fulfillment, identity, vendor, warehouse
from certtrack_shared.contracts.envelope import Event, UnknownSchemaVersion, decode_json

_MODELS: dict[tuple[str, str, int], type[Event]] = {}


def register(exchange: str, model: type[Event], version: int) -> type[Event]:
    _MODELS[(exchange, model.event_type, version)] = model
    return model


def model_for(exchange: str, routing_key: str, version: int) -> type[Event]:
    try:
        return _MODELS[(exchange, routing_key, version)]
    except KeyError:
        known = sorted(v for (e, k, v) in _MODELS if (e, k) == (exchange, routing_key))
        if not known:
            raise UnknownSchemaVersion(
                f"no contract for {routing_key!r} on {exchange!r}"
            ) from None
        raise UnknownSchemaVersion(
            f"unknown schema_version {version} for {routing_key!r} (known: {known})"
        ) from None


def parse_message(
    exchange: str, routing_key: str, body: bytes | str | dict, model: type[Event] | None = None
) -> Event:
    """Bytes (or a decoded dict) → the typed event, or ValueError with the reason.

    pydantic's ValidationError is a ValueError, so callers catch one type.
    """
    if isinstance(body, (bytes, bytearray)):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"body is not UTF-8 JSON: {exc}") from None
        body = decode_json(text)
    elif isinstance(body, str):
        body = decode_json(body)
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    version = body.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("schema_version must be an integer")
    model = model or model_for(exchange, routing_key, version)
    return model.model_validate(body)


for _model in (vendor.ExamRegistrationV1, vendor.ExamResultV1, vendor.ExamResultRevokedV1):
    register("vendor.events", _model, 1)
for _model in (fulfillment.OrderPlacedV1, fulfillment.OrderCancelledV1):
    register("fulfillment.events", _model, 1)
for _model in (warehouse.OrderShippedV1, warehouse.OrderDeliveredV1, warehouse.OrderRejectedV1):
    register("warehouse.events", _model, 1)
for _model in (exams.CandidateReportedV1, exams.ExamPassedV1, exams.ExamFailedV1,
               exams.SittingRevokedV1, exams.ExamResultsAvailableV1):
    register("exams.events", _model, 1)
for _model in (identity.CandidateRegisteredV1, identity.RegistrationLinkedV1,
               identity.CandidateProfileUpdatedV1, identity.ExternalIdentityLinkedV1):
    register("identity.events", _model, 1)
for _model in (certs.CertificationAchievedV1, certs.CertificationRecertifiedV1,
               certs.CertificationExpiredV1, certs.CertificationRevokedV1,
               certs.ExpertNumberAssignedV1):
    register("certs.events", _model, 1)
