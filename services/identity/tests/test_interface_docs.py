"""docs/decisions/0003-identity.md is the gateway's contract with identity:
every RPC method is described there, with only errors identity really has,
and each method lets the gateway see the errors the document promises."""
from __future__ import annotations

import re
from pathlib import Path

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from identity import exceptions
from identity.service import IdentityService

DOC = Path(__file__).resolve().parents[3] / "docs" / "decisions" / "0003-identity.md"
ROW = re.compile(r"^\| `(?P<method>\w+)\((?P<args>[^`]*)\)`[^|]*\|[^|]*\|(?P<raises>[^|]*)\|\s*$", re.M)
ERROR_NAME = re.compile(r"`([A-Z][A-Za-z]+)")


def rpc_methods() -> dict[str, Rpc]:
    found = {}
    for name in dir(IdentityService):
        for entrypoint in getattr(getattr(IdentityService, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Rpc):
                found[name] = entrypoint
    return found


def documented() -> dict[str, set[str]]:
    rows = {}
    for row in ROW.finditer(DOC.read_text()):
        rows[row["method"]] = set(ERROR_NAME.findall(row["raises"]))
    return rows


def _error_names() -> set[str]:
    return {cls.__name__ for cls in exceptions.STAFF_ERRORS}


def test_every_rpc_method_is_documented():
    assert set(rpc_methods()) - {"health"} <= set(documented())


def test_documented_errors_exist_and_reach_the_gateway_as_domain_errors():
    methods = rpc_methods()
    for method, raised in documented().items():
        assert raised <= _error_names(), (method, raised - _error_names())
        expected = {cls.__name__ for cls in methods[method].expected_exceptions}
        assert raised <= expected, (method, raised - expected)


def test_the_documented_arguments_are_the_methods_arguments():
    import inspect

    for row in ROW.finditer(DOC.read_text()):
        args = re.sub(r"\{[^}]*\}", "", row["args"])
        documented_args = [part.split("=")[0].split(":")[0].strip() for part in args.split(",") if part.strip()]
        actual = list(inspect.signature(getattr(IdentityService, row["method"])).parameters)[1:]
        assert documented_args == actual, row["method"]
