"""The gateway's error table (gateway/gateway/errors.py ERRORS) has a line for
every error any of the five services can answer an RPC with: each class of
their exceptions modules and of the shared dead-letter desk, and each
`expected_exceptions` of their `@rpc` entrypoints. A service that gains an
error fails here until the gateway knows what to tell a person about it."""
from __future__ import annotations

import importlib
import re

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from certtrack_shared.errors import DomainError, FieldErrors
from gateway.errors import ERRORS, REMOTE_FIELD_ERRORS

SERVICES = {
    "identity": "IdentityService", "exams": "ExamsService", "certs": "CertsService",
    "fulfillment": "FulfillmentService", "transcripts": "TranscriptsService",
}


def _leaves(module) -> set[type]:
    """The error classes a module defines that nothing else in it derives from
    (its bases, `ExamsError` and the like, are never raised themselves)."""
    defined = {value for value in vars(module).values()
               if isinstance(value, type) and issubclass(value, DomainError)
               and value.__module__ == module.__name__}
    return {cls for cls in defined if not any(other is not cls and issubclass(other, cls) for other in defined)}


def _expected(service: str) -> set[type]:
    service_class = getattr(importlib.import_module(f"{service}.service"), SERVICES[service])
    found = set()
    for name in dir(service_class):
        for entrypoint in getattr(getattr(service_class, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Rpc):
                expected = entrypoint.expected_exceptions
                found.update(expected if isinstance(expected, tuple) else (expected,))
    return found


def every_error() -> list[type]:
    errors = set(_leaves(importlib.import_module("certtrack_shared.deadletters")))
    for service in SERVICES:
        errors |= _leaves(importlib.import_module(f"{service}.exceptions")) | _expected(service)
    return sorted(errors, key=lambda cls: (cls.__module__, cls.__name__))


ERROR_CLASSES = every_error()


def test_the_services_have_errors_to_check():
    assert len(ERROR_CLASSES) > 40
    assert {"ReauthenticationRequired", "VendorSenderNotFound", "TooManyDeclinedPayments",
            "TranscriptInactive", "CertificationNotActive"} <= {cls.__name__ for cls in ERROR_CLASSES}


@pytest.mark.parametrize("error", ERROR_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_each_service_error_has_a_problem_a_person_can_read(error):
    problem = ERRORS.get(error.__name__)

    assert problem is not None, f"add {error.__name__} ({error.__module__}) to gateway/gateway/errors.py ERRORS"
    assert 400 <= problem.status < 600 and problem.status != 500
    assert re.fullmatch(r"[a-z][a-z0-9_]+", problem.code)
    assert problem.title and problem.message.endswith(".")


@pytest.mark.parametrize("error", ERROR_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_errors_with_fields_and_only_they_are_shown_by_field(error):
    assert (error.__name__ in REMOTE_FIELD_ERRORS) == issubclass(error, FieldErrors), error.__name__
