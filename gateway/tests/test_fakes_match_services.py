"""The gateway's service fakes (tests/fakes/) against the real services' `@rpc` entrypoints.

A fake is only worth its speed while it answers what the service answers. For
each fake this checks, against the service class nameko would run:

- the methods it answers exist on the service, and every other `@rpc` method
  of the service is listed below as deliberately left out, with the reason;
- each method's parameters: names, order, kinds and defaults;
- the errors it raises are among the method's `expected_exceptions` (so they
  reach the gateway as a RemoteError by that name), and every error the
  service may send is raised by the fake or listed as not raised, with the reason;
- no fake imports a service's code (an AST scan of tests/fakes/).

So a service that gains, drops or changes a method or an error the gateway's
tests rely on fails here, by name, instead of leaving the tests green against
a service that no longer exists. When it does: change the fake (or the lists
below, saying why), never the service to suit the fake.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from certs.service import CertsService
from certtrack_shared.errors import DomainError
from certtrack_shared.rpc_docs import Method, rpc_methods
from exams.service import ExamsService
from fulfillment.service import FulfillmentService
from gateway.staff.directory import StaffDirectory
from identity.service import IdentityService
from transcripts.service import TranscriptsService

from .fakes import (certs, exams, fulfillment, identity, staff_desks, staff_directory, staff_identity,
                    transcripts)

REMOTE_ERRORS = {"_remote", "remote_error"}  # the fakes' helpers that build a RemoteError by name
FAKES_DIR = Path(__file__).resolve().parent / "fakes"
SERVICE_PACKAGES = {"identity", "exams", "certs", "fulfillment", "transcripts"}

SERVICES = (IdentityService, ExamsService, CertsService, FulfillmentService, TranscriptsService)
DEAD_LETTER_DESK = {"list_dead_letters", "get_dead_letter", "replay_dead_letter", "discard_dead_letter"}
VENDOR_KEYS = {"create_vendor_key", "list_vendor_keys", "revoke_vendor_key", "authenticate_vendor_key"}
DESK_ELSEWHERE = "the staff desks fake (staff_desks.FakeDeadLetters) answers it"


@dataclass(frozen=True)
class Contract:
    """One fake against one service: what it deliberately leaves out, and why."""

    fake: type
    service: type
    methods: frozenset[str]
    left_out: dict[str, str] = field(default_factory=dict)  # method → why the fake does not answer it
    not_raised: dict[str, str] = field(default_factory=dict)  # error → why the fake never raises it

    @property
    def name(self) -> str:
        return f"{self.fake.__name__}-{self.service.name}"


# -- reading the two sides ------------------------------------------------------------------
def rpc_entrypoints(service: type) -> dict[str, Method]:
    """Every `@rpc` method of a Nameko service class, inherited ones included, by name
    (read as docs/rpc/ is written: certtrack_shared.rpc_docs)."""
    return {method.name: method for method in rpc_methods(service)}


def parameters(function) -> str:
    """The parameters after `self` as a signature writes them: names, order, kinds, defaults
    (annotations left out: nameko's JSON carries no types)."""
    found = [parameter.replace(annotation=inspect.Parameter.empty)
             for parameter in inspect.signature(function).parameters.values()]
    if found and found[0].name == "self":
        found = found[1:]
    return str(inspect.Signature(found))


def raised_errors(fake: type) -> set[str]:
    """The domain errors the fake's own methods raise: `raise SomeError(...)` of a
    DomainError class, or `_remote("SomeError", ...)` / `remote_error(...)` (a RemoteError by name)."""
    module = inspect.getmodule(fake)
    tree = ast.parse(textwrap.dedent(inspect.getsource(fake)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                error = getattr(module, target.id, None)
                if inspect.isclass(error) and issubclass(error, DomainError):
                    names.add(target.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REMOTE_ERRORS \
                and node.args and isinstance(node.args[0], ast.Constant):
            names.add(node.args[0].value)
    return names


def _part_of(fake: type, service: type, marker: str, not_raised: dict[str, str] | None = None) -> Contract:
    """A staff-desk fake answers one part of a service (the methods named `…{marker}…`): the
    rest is left out by design, while a new method of that part must be served or listed."""
    rest = {name for name in rpc_entrypoints(service) if marker not in name}
    return Contract(fake, service, fake.methods, dict.fromkeys(rest, f"not a {marker} method"), not_raised or {})


CONTRACTS = [
    Contract(
        identity.FakeIdentity, IdentityService, frozenset(identity.FakeIdentity.rpc_methods),
        left_out={
            **dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
            "profile_options": "the gateway never calls it (its profile form has its own lists)",
            **dict.fromkeys((
                "staff_authenticate", "staff_verify_second_factor", "staff_start_second_factor_enrolment",
                "staff_confirm_second_factor_enrolment", "staff_create", "staff_create_candidate",
                "staff_decide_ticket", "staff_get_candidate", "staff_get_ticket", "staff_get_ticket_document",
                "staff_list_accounts", "staff_list_audit", "staff_list_tickets", "staff_reset_second_factor",
                "staff_search_candidates", "staff_set_attributes", "staff_update_account",
            ), "the staff side: see the StaffIdentity contract below, which accounts for each"),
            **dict.fromkeys(("staff_current", "staff_record_audit"),
                            "behind gateway/staff/directory.py, faked by staff_directory.FakeStaffDirectory"),
        },
    ),
    Contract(
        staff_identity.StaffIdentity, IdentityService, staff_identity.StaffIdentity.rpc_methods,
        left_out={
            **dict.fromkeys(identity.FakeIdentity.rpc_methods - staff_identity.StaffIdentity.rpc_methods,
                            "the candidate side: identity.FakeIdentity answers it"),
            **dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
            "profile_options": "the gateway never calls it (its profile form has its own lists)",
            **dict.fromkeys(("staff_current", "staff_record_audit"),
                            "behind gateway/staff/directory.py, faked by staff_directory.FakeStaffDirectory"),
            "staff_create": "an operator's command (deploy/create_staff.py), never the gateway",
            **dict.fromkeys(("staff_list_accounts", "staff_update_account", "staff_reset_second_factor"),
                            "the staff accounts pages are only checked for who may reach them "
                            "(test_staff_console.py, test_staff_roles.py), before any call"),
            "staff_list_audit": "the audit page's tests answer it with a stand-in of their own "
                                "(test_staff_audit.py)",
        },
        not_raised={
            **dict.fromkeys(("LinkTokenInvalid", "WeakPassword", "ScoreReportNotMatched",
                             "EmailBelongsToAnotherCandidate", "CannotUnlinkLastLogin", "InvalidDocument",
                             "ReauthenticationRequired", "ExternalIdentityTaken"),
                            "identity lists all its errors on every method; none of the staff methods "
                            "faked here raises it"),
            "TooManyAttempts": "test_staff_second_factor.py raises it by replacing staff_verify_second_factor",
        },
    ),
    Contract(
        exams.FakeExams, ExamsService, frozenset(exams.FakeExams.rpc_methods),
        left_out={
            **dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
            **dict.fromkeys(VENDOR_KEYS, "the staff desks fake (staff_desks.FakeVendorKeys) answers it"),
            **dict.fromkeys(("list_vendor_senders", "register_vendor_sender", "remove_vendor_sender"),
                            "no test answers them: the vendor-senders pages are only checked for who may "
                            "reach them (test_staff_console.py, test_staff_roles.py), before any call"),
        },
    ),
    Contract(
        certs.FakeCerts, CertsService, frozenset(certs.FakeCerts.rpc_methods),
        left_out={
            **dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
            "run_daily": "the daily sweep is started by the scheduler, never by the gateway",
        },
    ),
    Contract(
        fulfillment.FakeFulfillment, FulfillmentService, frozenset(fulfillment.FakeFulfillment.rpc_methods),
        left_out=dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
        not_raised={"PaymentUnavailable": "the fake's processor is always up"},
    ),
    Contract(
        transcripts.FakeTranscripts, TranscriptsService, frozenset(transcripts.FakeTranscripts.rpc_methods),
        left_out=dict.fromkeys(DEAD_LETTER_DESK, DESK_ELSEWHERE),
        not_raised={"TooManyAttempts": "send_share_mail's daily limit per candidate (transcripts/handlers/share_mail.py) is "
                                       "not modelled: no gateway test sends that many mails"},
    ),
    *(_part_of(staff_desks.FakeDeadLetters, service, "dead_letter") for service in SERVICES),
    _part_of(staff_desks.FakeVendorKeys, ExamsService, "vendor_key"),
]


def _ids(contracts):
    return [contract.name for contract in contracts]


# -- the checks -----------------------------------------------------------------------------
@pytest.mark.parametrize("contract", CONTRACTS, ids=_ids(CONTRACTS))
def test_the_fake_answers_only_methods_the_service_has(contract):
    real = set(rpc_entrypoints(contract.service))
    gone = contract.methods - real
    assert not gone, (
        f"{contract.fake.__name__} answers {sorted(gone)}, which {contract.service.name} no longer has "
        f"as @rpc methods ({contract.service.__module__}): drop them from the fake, or follow the rename")
    missing = {name for name in contract.methods if not callable(getattr(contract.fake, name, None))}
    assert not missing, f"{contract.fake.__name__} lists {sorted(missing)} as RPC methods but defines none"


@pytest.mark.parametrize("contract", CONTRACTS, ids=_ids(CONTRACTS))
def test_every_other_service_method_is_deliberately_left_out(contract):
    real = set(rpc_entrypoints(contract.service))
    unlisted = real - contract.methods - set(contract.left_out)
    assert not unlisted, (
        f"{contract.service.name} has @rpc methods {sorted(unlisted)} that {contract.fake.__name__} "
        f"does not answer: serve them in the fake, or list them in this test's `left_out` with the reason")
    stale = set(contract.left_out) - (real - contract.methods)
    assert not stale, (
        f"{contract.name}: `left_out` names {sorted(stale)}, which {contract.service.name} does not have "
        f"or the fake now answers: take them off the list")


@pytest.mark.parametrize("contract", CONTRACTS, ids=_ids(CONTRACTS))
def test_each_method_takes_the_services_parameters(contract):
    entrypoints = rpc_entrypoints(contract.service)
    differ = {}
    for name in sorted(contract.methods & set(entrypoints)):
        real = parameters(getattr(contract.service, name))
        fake = parameters(getattr(contract.fake, name))
        if real != fake:
            differ[name] = f"{contract.service.name}.{name}{real}, the fake's {name}{fake}"
    assert not differ, (
        f"{contract.fake.__name__} takes other parameters than the service: " + "; ".join(differ.values()))


@pytest.mark.parametrize("contract", CONTRACTS, ids=_ids(CONTRACTS))
def test_the_fake_raises_the_services_errors(contract):
    entrypoints = rpc_entrypoints(contract.service)
    served = contract.methods & set(entrypoints)
    expected = {error.__name__ for name in served for error in entrypoints[name].errors}
    raised = raised_errors(contract.fake)
    foreign = raised - expected
    assert not foreign, (
        f"{contract.fake.__name__} raises {sorted(foreign)}, which no method of {contract.service.name} it "
        f"serves lists in expected_exceptions (the service would not send it as that error)")
    unraised = expected - raised - set(contract.not_raised)
    assert not unraised, (
        f"{contract.service.name} may answer {sorted(unraised)} from the methods {contract.fake.__name__} "
        f"serves, and the fake never raises them: raise them where the service does, or list them in "
        f"this test's `not_raised` with the reason")
    stale = set(contract.not_raised) & raised | set(contract.not_raised) - expected
    assert not stale, f"{contract.name}: `not_raised` names {sorted(stale)}: take them off the list"


def test_the_staff_desks_keep_an_archive_for_each_service_with_the_desk():
    with_desk = {service.name for service in SERVICES if DEAD_LETTER_DESK <= set(rpc_entrypoints(service))}
    faked = set(staff_desks.StaffDesks().dead_letters)
    assert faked == with_desk, (
        f"StaffDesks keeps dead-letter archives for {sorted(faked)}; the services with the desk "
        f"are {sorted(with_desk)}")


def test_the_staff_directory_fake_has_the_directorys_methods():
    def public(cls):
        return {name: parameters(value) for name, value in vars(cls).items()
                if callable(value) and not name.startswith("_")}

    real, fake = public(StaffDirectory), public(staff_directory.FakeStaffDirectory)
    differ = [f"{name}{real[name]}, the fake's {name}{fake.get(name, ' (missing)')}"
              for name in real if fake.get(name) != real[name]]
    assert not differ, "FakeStaffDirectory differs from StaffDirectory (gateway/staff/directory.py): " + "; ".join(differ)


# -- no fake reaches into a service --------------------------------------------------------
# A fake that imports a service's modules is tied to its internals, and runs its code.
IMPORTS_ALLOWED: dict[str, str] = {}  # file → the service it may import (none does)


def service_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        found |= {module for module in modules if module.split(".")[0] in SERVICE_PACKAGES}
    return found


@pytest.mark.parametrize("path", sorted(FAKES_DIR.glob("*.py")), ids=lambda path: path.name)
def test_no_fake_imports_a_service(path):
    imported = service_imports(path)
    allowed = IMPORTS_ALLOWED.get(path.name)
    imported = {module for module in imported if module.split(".")[0] != allowed}
    assert not imported, (
        f"tests/fakes/{path.name} imports {sorted(imported)}: a fake may use the shared package "
        f"(certtrack_shared) and the gateway, never a service's modules")
    if allowed:
        assert any(module.split(".")[0] == allowed for module in service_imports(path)), (
            f"tests/fakes/{path.name} no longer imports {allowed}: take it off IMPORTS_ALLOWED")
