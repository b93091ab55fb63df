"""Pydantic models of the gateway's own API bodies; the OpenAPI document is built from them."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    # `fields` is always sent (empty when not about fields); say so in the schema.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: str = Field(description="Stable, machine-readable error code, e.g. `validation_failed`.")
    message: str = Field(description="What went wrong, in words a person understands.")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="For `validation_failed`: field path (dotted) → what is wrong with it.",
    )


class ErrorResponse(BaseModel):
    """The one shape of every API error."""

    error: ErrorDetail


class Liveness(BaseModel):
    status: Literal["ok"]


ComponentStatus = Literal["ok", "unavailable", "timeout", "error"]


class Readiness(BaseModel):
    """Whether the broker and every service answer; `components` names each one's state."""

    status: Literal["ok", "unavailable"]
    components: dict[str, ComponentStatus]


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document (only its top level is described here)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict
    paths: dict
    components: dict
