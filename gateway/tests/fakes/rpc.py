"""What every in-memory fake of a service shares: answering the RPC client's
`call` the way nameko would.

A fake is only honest if the gateway cannot tell it from the service on the
wire: unknown methods and wrong signatures fail as nameko fails them, the
arguments and the reply go through JSON, and a domain error arrives as the
RemoteError nameko would deliver (name plus its JSON detail).
"""
from __future__ import annotations

import inspect
import json

from nameko.exceptions import IncorrectSignature, MethodNotFound, deserialize, serialize

from certtrack_shared.errors import DomainError
from gateway.errors import ServiceUnreachable


class FakeService:
    """Base of a fake: set `service_name` and `rpc_methods`; keep `self.calls`."""

    service_name: str = ""
    rpc_methods: frozenset[str] | set[str] = frozenset()
    calls: list[tuple[str, dict]]

    def call(self, service: str, method: str, *args, **kwargs):
        if service != self.service_name:
            raise ServiceUnreachable(f"no {service} service is listening")
        if method not in self.rpc_methods:
            raise MethodNotFound(method)
        handler = getattr(self, method)
        try:
            inspect.signature(handler).bind(*args, **kwargs)
        except TypeError as error:
            raise IncorrectSignature(str(error)) from None
        # nameko's json serializer: anything else cannot be sent at all.
        args, kwargs = json.loads(json.dumps([args, kwargs]))
        self.calls.append((method, kwargs))
        try:
            result = handler(*args, **kwargs)
        except DomainError as error:
            raise deserialize(serialize(error)) from None
        return json.loads(json.dumps(result))

    def close(self):
        pass
