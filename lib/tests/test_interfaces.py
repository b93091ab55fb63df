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
from certtrack_shared.interfaces import certs, exams, fulfillment, identity, transcripts

INTERFACES = Path(certtrack_shared.interfaces.__file__).resolve().parent
SERVICES = {"identity", "exams", "certs", "fulfillment", "transcripts"}
PUBLISHED = [identity, exams, certs, fulfillment, transcripts]
GATEWAY = Path(__file__).resolve().parents[2] / "gateway" / "gateway"


def _published(module) -> dict[str, type[BaseModel]]:
    return {name: value for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == module.__name__}


@pytest.mark.parametrize("module", PUBLISHED, ids=lambda module: module.__name__)
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


def _gateway_models():
    """(place, class name, field names) of every class with annotated fields the gateway defines."""
    for path in sorted(GATEWAY.rglob("*.py")):
        text = path.read_text()
        if "BaseModel" not in text:  # a model copy is a pydantic model; the rest need no parsing
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                fields = {item.target.id for item in node.body
                          if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)}
                yield f"{path.relative_to(GATEWAY.parent)}:{node.lineno}", node.name, fields


def test_the_gateway_copies_no_published_model():
    """A class of the gateway named as a published model, or with the same fields, is a copy
    that can drift from the service's rule; it imports (or subclasses) the published one instead."""
    published = {name: set(model.model_fields) for module in PUBLISHED for name, model in _published(module).items()
                 if name not in ("Reply", "Request")}
    copies = [f"{place} {name}" for place, name, fields in _gateway_models()
              if name in published or (len(fields) >= 3 and fields in published.values())]
    assert copies == []


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


def test_certs_answers_its_pages_more_than_the_api_shows():
    """The site's pages read the day of the standings; the API's list is items and agreement only."""
    extra = set(certs.CandidateCertifications.model_fields) - set(certs.CertificationList.model_fields)
    assert extra == {"candidate_id", "program", "as_of"}


def test_a_ce_submission_holds_certs_limits_and_names_no_candidate():
    document = {"filename": " certificate.pdf ", "data_b64": "JVBERi0="}
    base = {"title": "t" * 300, "provider": "Cisco Live", "completed_on": "2026-11-01", "kind": "ce",
            "document": document}
    submission = certs.CeSubmission.model_validate(base)
    assert submission.document.filename == "certificate.pdf"
    for wrong in ({"title": "t" * 301}, {"title": "  "}, {"candidate_id": "CSCO10000001"}, {"kind": "webinar"},
                  {"document": {**document, "filename": "f" * 256}}):
        with pytest.raises(ValidationError):
            certs.CeSubmission.model_validate({**base, **wrong})
