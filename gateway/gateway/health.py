"""Liveness and readiness probes (`/healthz`, `/readyz`).

Liveness says only that this process answers HTTP; readiness asks the
broker and every service, in parallel so a probe takes at most about one
RPC timeout however many services are down.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, current_app
from kombu import Connection
from nameko.exceptions import RemoteError

from certtrack_shared.config import amqp_addresses

from .errors import ServiceTimeout, ServiceUnreachable
from .openapi import api_operation
from .rpc import RpcPool
from .schemas import Liveness, Readiness

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
@api_operation(response=Liveness, summary="The gateway process is up.", tags=("operations",))
def healthz():
    return Liveness(status="ok")


@blueprint.get("/readyz")
@api_operation(
    response=Readiness,
    summary="The broker and every service answer.",
    other_responses={503: (Readiness, "Something is not answering; `components` says what.")},
    tags=("operations",),
)
def readyz():
    config = current_app.config
    report = readiness(
        config["AMQP_URI"], current_app.extensions["rpc"], config["SERVICES"], config["RPC_TIMEOUT"]
    )
    return report, 200 if report.status == "ok" else 503


def readiness(amqp_uri: str, rpc: RpcPool, services: tuple[str, ...], timeout: float) -> Readiness:
    components = {"broker": "ok" if broker_reachable(amqp_uri, timeout) else "unavailable"}
    if components["broker"] == "ok":
        with ThreadPoolExecutor(max_workers=max(len(services), 1), thread_name_prefix="readyz") as pool:
            answers = pool.map(lambda name: service_status(rpc, name), services)
            components.update(zip(services, answers))
    else:
        # Without a broker no service can answer; asking would only add waiting.
        components.update((name, "unavailable") for name in services)
    ready = all(status == "ok" for status in components.values())
    return Readiness(status="ok" if ready else "unavailable", components=components)


def broker_reachable(amqp_uri: str, timeout: float) -> bool:
    """True when any address of AMQP_URI (a cluster's failover list) takes a
    login: the gateway's clients fail over to whichever node answers."""
    for number, address in enumerate(amqp_addresses(amqp_uri), start=1):
        try:
            with Connection(address, connect_timeout=timeout) as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                             timeout=timeout)
            return True
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
            # The type only: a broker error message can echo the URI's host and user.
            log.warning("Broker address %s unreachable: %s", number, type(error).__name__)
    return False


def service_status(rpc: RpcPool, service: str) -> str:
    try:
        rpc.call(service, "health")
    except ServiceTimeout:
        return "timeout"
    except ServiceUnreachable:
        return "unavailable"
    except RemoteError as error:
        log.warning("%s.health() failed: %s", service, error.exc_type)
        return "error"
    return "ok"
