"""`@rpc`: Nameko's RPC entrypoint, answering only after the commit."""
from __future__ import annotations

from nameko.rpc import Rpc as NamekoRpc

from certtrack_shared.transaction import commit_worker


class Rpc(NamekoRpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        exc_info = commit_worker(worker_ctx, exc_info)
        if exc_info is not None:
            result = None
        return super().handle_result(message, worker_ctx, result, exc_info)


rpc = Rpc.decorator
