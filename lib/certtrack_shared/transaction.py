"""Commit the worker's transaction before the entrypoint answers.

Nameko runs an entrypoint's `handle_result` (RPC reply, message ack) before
the dependency providers' `worker_result`. Committing there would tell the
caller "done" — or ack the message — before the data is durable. Our
entrypoints call `commit_worker` first; a failed commit becomes the worker's
error, so the caller sees a failure and the message is retried.
"""
from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)


def commit_worker(worker_ctx, exc_info):
    for provider in worker_ctx.container.dependencies:
        hook = getattr(provider, "worker_commit", None)
        if hook is None:
            continue
        try:
            hook(worker_ctx, exc_info)
        except Exception:
            log.exception("commit failed for %s", worker_ctx)
            exc_info = sys.exc_info()
            # Roll back whatever the later providers hold.
            for other in worker_ctx.container.dependencies:
                rollback = getattr(other, "worker_commit", None)
                if rollback is not None and other is not provider:
                    try:
                        rollback(worker_ctx, exc_info)
                    except Exception:
                        log.exception("rollback failed for %s", worker_ctx)
            break
    return exc_info
