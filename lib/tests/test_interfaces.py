"""The services' published RPC models (certtrack_shared.interfaces): one definition,
used by the service and by the gateway, holding the service's rules."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import certtrack_shared.interfaces
from certtrack_shared.interfaces import exams, fulfillment, identity, transcripts

INTERFACES = Path(certtrack_shared.interfaces.__file__).resolve().parent
SERVICES = {"identity", "exams", "certs", "fulfillment", "transcripts"}


def _published(module) -> dict[str, type[BaseModel]]:
    return {name: value for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == module.__name__}


@pytest.mark.parametrize("module", [identity, exams, fulfillment, transcripts], ids=lambda module: module.__name__)
def test_the_service_schemas_are_the_published_models_not_copies(module):
    service = importlib.import_module(f"{module.__name__.rpartition('.')[2]}.schemas")
    for name, model in _published(module).items():
        if name in ("Reply", "Request"):
            continue
        assert getattr(service, name, None) is model, f"{service.__name__}.{name} is not the published model"


def test_no_interface_imports_a_service():
    for path in INTERFACES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                assert not {name.split(".")[0] for name in names} & SERVICES, f"{path.name} imports a service"


def test_a_country_change_takes_what_identity_takes():
    """identity reads a code in any case; the gateway's copy used to cap it at 2 characters."""
    assert identity.AddressChanges(country=" us ").country == "us"
    assert identity.AddressChanges(country="x" * 60).country == "x" * 60
    with pytest.raises(ValidationError):
        identity.AddressChanges(country="x" * 61)


def test_the_candidate_record_leaves_out_the_credential_bookkeeping():
    shown = set(identity.CandidateRecord.model_fields)
    assert {"credential_version", "password_changed_at"} <= set(identity.CandidateProfile.model_fields) - shown


def test_an_order_request_holds_fulfillments_limits():
    item = {"kind": "entitlement", "certification_id": "ccna"}
    base = {"idempotency_key": "checkout-1", "items": [item], "ship_to": {}}
    assert fulfillment.PlaceOrderRequest.model_validate(base).shipping_method == "standard"
    for wrong in ({"idempotency_key": "has spaces in it"}, {"items": [item] * 31},
                  {"items": [dict(item, certification_id="")]}, {"card": "4242"}):
        with pytest.raises(ValidationError):
            fulfillment.PlaceOrderRequest.model_validate({**base, **wrong})


def test_a_candidates_order_leaves_out_what_only_staff_see():
    staff_only = set(fulfillment.OrderView.model_fields) - set(fulfillment.CandidateOrder.model_fields)
    assert staff_only == {"candidate_id", "needs_attention"}


def test_a_candidates_sitting_leaves_out_its_row_id():
    assert set(exams.SittingView.model_fields) - set(exams.ExamSitting.model_fields) == {"id"}
