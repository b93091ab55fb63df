"""The gateway's domain clients (`gateway/<domain>/client.py`) against the real services'
`@rpc` entrypoints, and the rule that only they ask a service.

Each client function that calls a service is named after the method it calls and
takes that method's parameters, by keyword, with the service's defaults, and
passes each one on under its own name. So a service that renames, adds or drops
a parameter fails here, by name, instead of in production; and a reader finds
every call the gateway makes to a service in one file per domain.
"""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from certs.service import CertsService
from certtrack_shared.deadletters.desk import DeadLetterDesk
from exams.service import ExamsService
from fulfillment.service import FulfillmentService
from gateway.auth import client as auth
from gateway.certifications import client as certifications
from gateway.exams import client as exams
from gateway.fulfillment import client as fulfillment
from gateway.profile import client as profile
from gateway.staff import client as staff
from gateway.transcripts import client as transcripts
from gateway.vendor import client as vendor
from identity.service import IdentityService
from transcripts.service import TranscriptsService

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"

# Each client and the service class whose methods it calls.
CLIENTS = {
    auth: IdentityService,
    profile: IdentityService,
    exams: ExamsService,
    vendor: ExamsService,
    certifications: CertsService,
    fulfillment: FulfillmentService,
    transcripts: TranscriptsService,
    staff: DeadLetterDesk,  # every consuming service's desk; the service is the first argument
}
# Outside the clients, only these modules reach the pool: the pool itself, and the
# readiness probe, which asks every service its `health` without being a domain.
MAY_CALL_THE_POOL = {"rpc.py", "health.py"}


def _calls(module) -> dict[str, ast.FunctionDef]:
    """The module's functions that call a service: `{method name: function}`."""
    tree = ast.parse(inspect.getsource(module))
    found = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("_call", "rpc.call"):
                constants = [arg.value for arg in node.args
                             if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
                found[constants[0]] = function
    return found


def _parameters(function) -> list[tuple[str, object]]:
    signature = inspect.signature(function)
    return [(name, parameter.default) for name, parameter in signature.parameters.items()
            if name != "self"]


@pytest.mark.parametrize("client", CLIENTS, ids=lambda client: client.__name__)
def test_each_client_function_is_its_service_method_with_the_same_parameters(client):
    service = CLIENTS[client]
    calls = _calls(client)
    assert calls, f"{client.__name__} calls no service"
    for method, node in calls.items():
        assert node.name == method, f"{client.__name__}.{node.name} calls {method}: name it after the method"
        entrypoint = getattr(service, method, None)
        assert entrypoint is not None, f"{service.__name__} has no method {method}"
        function = getattr(client, node.name)
        ours = _parameters(function)
        if client is staff:
            assert ours[0][0] == "service"
            ours = ours[1:]
        assert ours == _parameters(entrypoint), f"{client.__name__}.{method} differs from the service's"
        kinds = {parameter.kind for name, parameter in inspect.signature(function).parameters.items()
                 if name != "service"}
        assert kinds <= {inspect.Parameter.KEYWORD_ONLY}, f"{method}: arguments go by name"
        call = next(node for node in ast.walk(node) if isinstance(node, ast.Call)
                    and ast.unparse(node.func) in ("_call", "rpc.call"))
        passed = {keyword.arg: ast.unparse(keyword.value) for keyword in call.keywords}
        assert passed == {name: name for name, _ in ours}, f"{method} passes on something else"


def test_only_the_domain_clients_ask_a_service():
    offenders = []
    for path in sorted(GATEWAY.rglob("*.py")):
        relative = path.relative_to(GATEWAY).as_posix()
        if path.name == "client.py" or relative in MAY_CALL_THE_POOL:
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "rpc.call" \
                    or isinstance(node, ast.Subscript) and ast.unparse(node) == "current_app.extensions['rpc']":
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []
