"""Arguments in, a domain error out: the one way a service validates a request.

Every RPC that takes a request validates it into its pydantic model with
`parse`; when the data does not fit, the caller gets the service's own field
error (`InvalidProfile`, `InvalidOrder`, …) holding `{field: message}`, never
pydantic's text with its documentation links or the rejected input (which
may be a password).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)

REQUIRED = "This field is required."
READ_ONLY = "This field cannot be changed."
# pydantic names each branch of a union in the location (`literal['all']`,
# `list[str]`, `function-after[...]`); a person reads the field, not the branch.
_BRANCH_TAGS = ("literal[", "list[", "function-", "tagged-union[", "union[", "nullable[")


def field_errors(error: ValidationError, *, depth: int | None = None,
                 read_only: Mapping[str, str] | None = None, otherwise: str | None = None) -> dict[str, str]:
    """A pydantic error as `{dotted.field: message}`, the first message of each field.

    `depth` keeps only the first parts of a nested location (2: `address.city`);
    `read_only` words the refusal of a field the caller may not send;
    `otherwise` replaces pydantic's text for every other problem (a wrong
    format, a number out of range) where a service prefers one plain sentence.
    """
    fields: dict[str, str] = {}
    for problem in error.errors(include_url=False, include_input=False):
        parts = [str(part) for part in problem["loc"] if not str(part).startswith(_BRANCH_TAGS)]
        path = ".".join(parts[:depth] if depth else parts) or "request"
        fields.setdefault(path, _message(problem, path, read_only or {}, otherwise))
    return fields


def _message(problem: dict[str, Any], path: str, read_only: Mapping[str, str], otherwise: str | None) -> str:
    kind = problem["type"]
    if kind == "missing":
        return REQUIRED
    if kind == "extra_forbidden":
        return read_only.get(path, READ_ONLY)
    if kind == "string_too_long":
        return f"Use at most {problem['ctx']['max_length']} characters."
    return otherwise or problem["msg"]


def parse(model: type[Model], data: Any,
          error: Callable[[dict[str, str]], Exception], *, depth: int | None = None,
          read_only: Mapping[str, str] | None = None, otherwise: str | None = None) -> Model:
    """`data` validated into `model`, or `error(fields)` raised.

    `error` is the service's field error class, or any callable that builds
    one from the field messages (to add a summary message, say). `depth`,
    `read_only` and `otherwise` shape the messages (see `field_errors`).
    """
    try:
        # No data is an empty request; anything but a mapping is refused as the whole request.
        return model.model_validate({} if data is None else dict(data) if isinstance(data, Mapping) else data)
    except ValidationError as problem:
        raise error(field_errors(problem, depth=depth, read_only=read_only, otherwise=otherwise)) from None
