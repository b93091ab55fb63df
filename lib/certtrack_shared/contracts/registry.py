"""Which model parses a message: (exchange, routing key, schema_version) → model."""
from __future__ import annotations

from certtrack_shared.contracts import certs, exams, fulfillment, identity, vendor, warehouse
from certtrack_shared.contracts.envelope import Event, UnknownSchemaVersion

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
