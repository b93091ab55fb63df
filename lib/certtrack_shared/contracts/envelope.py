"""The envelope every event shares: `event_id`, `schema_version`, timestamps."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _require_offset(value: datetime) -> datetime:
    # CONTRACTS.md: timestamps carry an offset; a naive one is ambiguous input.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must carry a UTC offset, e.g. 2026-11-20T14:30:00Z")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_require_offset)]
EventId = Annotated[str, Field(min_length=1, max_length=200)]


class Event(BaseModel):
    """Base of every message. Subclasses set `event_type` and `schema_version`."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    event_type: ClassVar[str]
    schema_version: int
    event_id: EventId


class UnknownSchemaVersion(ValueError):
    """A message whose schema_version no model of this build understands."""


# No CertTrack message nests deeper than a few levels; 32 leaves room for any
# honest document and refuses the ones built to exhaust a parser.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


def nested_deeper_than(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `raw` opens more than `limit` arrays/objects
    inside each other, found without parsing it (strings are skipped, so a
    bracket inside one does not count). Malformed text is the parser's to
    refuse; this only answers for the nesting."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    depth = 0
    for bracket in brackets:
        if bracket in b"[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def decode_json(text: str | bytes):
    """JSON text → Python value, or ValueError saying why in plain words.

    Beyond malformed JSON, `json.loads` raises RecursionError for nesting
    deeper than Python's recursion limit and ValueError for an integer of
    more than 4,300 digits; a message must never get past us with either.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise ValueError("body is not acceptable JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise ValueError(f"body is not acceptable JSON: {exc}") from None
