"""Pydantic v2 models of every message CertTrack sends or receives.

External messages follow CONTRACTS.md to the letter; a change is a new
`schema_version`, never an edit of an old model. `parse_message` picks the
model for an (exchange, routing key, schema_version) and is the one place
raw bytes become a typed event.
"""
from certtrack_shared.contracts.envelope import Event, UnknownSchemaVersion
from certtrack_shared.contracts.registry import model_for, parse_message

__all__ = ["Event", "UnknownSchemaVersion", "parse_message", "model_for"]
