"""The body of POST /api/v1/vendor/events and its answer: the vendor messages of
CONTRACTS.md §2, published by the shared package (certtrack_shared.contracts.vendor).
"""
from __future__ import annotations

from typing import Literal, Union

from pydantic import BaseModel, RootModel, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from certtrack_shared.contracts import UnknownSchemaVersion, model_for
from certtrack_shared.contracts.vendor import ExamRegistrationV1, ExamResultRevokedV1, ExamResultV1

EXCHANGE = "vendor.events"

EVENT_TYPE_RULE = (
    "The message type follows from the body's shape: a `reason` makes it `exam_result_revoked`, "
    "else a `score` makes it `exam_result`, else a `scheduled_at` makes it `exam_registration`."
)


def event_type_of(body) -> str | None:
    """Which vendor message `body` is, by its shape (see EVENT_TYPE_RULE)."""
    if not isinstance(body, dict):
        return None
    for field, event_type in (("reason", "exam_result_revoked"), ("score", "exam_result"),
                              ("scheduled_at", "exam_registration")):
        if field in body:
            return event_type
    return None


class VendorEvent(RootModel[Union[ExamResultRevokedV1, ExamResultV1, ExamRegistrationV1]]):
    """An `exam_registration`, `exam_result` or `exam_result_revoked` body exactly as in
    CONTRACTS.md §2. The message type follows from the body's shape: a `reason` makes it
    `exam_result_revoked`, else a `score` makes it `exam_result`, else a `scheduled_at`
    makes it `exam_registration`."""

    @model_validator(mode="wrap")
    @classmethod
    def _by_shape(cls, data, handler):
        if isinstance(data, cls):
            return data
        event_type = event_type_of(data)
        if event_type is None:
            raise PydanticCustomError("vendor_event_type", EVENT_TYPE_RULE)
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            # As the consumer decides (contracts.parse_message): `true` is not 1.
            raise _field_error("schema_version", "schema_version must be an integer, e.g. 1", version)
        try:
            model = model_for(EXCHANGE, event_type, version)
        except UnknownSchemaVersion:
            model = model_for(EXCHANGE, event_type, 1)  # its errors say which version it takes
        # A ValidationError raised here keeps its field paths (`candidate.email`, …).
        return cls.model_construct(model.model_validate(data))


def _field_error(field: str, message: str, value) -> ValidationError:
    return ValidationError.from_exception_data("VendorEvent", [InitErrorDetails(
        type=PydanticCustomError("vendor_event", message), loc=(field,), input=value)])


class VendorEventAccepted(BaseModel):
    """The broker confirmed the message: it will be applied (once, however often it is posted)."""

    status: Literal["accepted"] = "accepted"
    event_id: str
    event_type: Literal["exam_registration", "exam_result", "exam_result_revoked"]
