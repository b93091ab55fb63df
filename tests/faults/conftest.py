"""The fault suite's stack: one private RabbitMQ node and the exams and identity
services as `nameko run` processes on it, shared by every scenario of the
package. A scenario that kills something leaves it healthy for the next
(`_healthy_afterwards`)."""
from __future__ import annotations

import os
import uuid

import pytest

from certtrack_shared import broker_identities
from tests.faults.stack import BROKER_PASSWORDS, RETRY_DELAYS_MS, ROOT, FaultStack
from tests.faults.traffic import ExamsLedger
from tests.harness.figures import suite_figures
from tests.harness.rabbit_node import RabbitNode

SERVICES = ("identity", "exams")  # exams applies results; identity links their candidates


@pytest.fixture(scope="package")
def fault_node(tmp_path_factory):
    # Each service connects as its own broker user, as in production (CONTRACTS.md §7).
    definitions = broker_identities.definitions(
        RETRY_DELAYS_MS, passwords=BROKER_PASSWORDS, development=True,
        administrator=("guest", "guest"))
    node = RabbitNode(tmp_path_factory.mktemp("fault-node"), definitions).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="package")
def fault_stack(fault_node, run_databases, smtp_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fault-services")
    suffix = uuid.uuid4().hex[:6]
    env = dict(
        os.environ,
        AMQP_URI=fault_node.amqp_uri,
        SMTP_URL=smtp_server.url,
        CERTTRACK_ENV="test",
        CONSUMER_RETRY_DELAYS_MS=",".join(str(ms) for ms in RETRY_DELAYS_MS),
        IDENTITY_DOCUMENT_DIR=str(folder / "documents"),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        # This checkout's shared package, whichever checkout the run's virtualenv installed.
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "lib"), os.environ.get("PYTHONPATH")])),
    )
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = run_databases.url(
            f"faults_{service}_{suffix}", migrate_service=service)
    stack = FaultStack(fault_node, env, folder)
    try:
        yield stack.start(*SERVICES)
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def exams_ledger(fault_stack):
    ledger = ExamsLedger(fault_stack.env["EXAMS_DATABASE_URL"])
    yield ledger
    ledger.dispose()


@pytest.fixture(autouse=True)
def _healthy_afterwards(request):
    yield
    if "fault_stack" in request.fixturenames:
        for line in request.getfixturevalue("fault_stack").heal():
            print(f"[faults] after {request.node.name}: {line}")


figures, pytest_terminal_summary = suite_figures("faults")
