"""The RabbitMQ node restarts while vendor results flow, shut down gracefully
or killed outright: every service process is still running with the same PID
afterwards, and every result is applied exactly once
(docs/decisions/0002-reliable-messaging.md).

A restart hurts a service only if a worker settles a message in the moment
between the broker dropping the connection and the service noticing, so the
node restarts four times while both services have a backlog of work."""
from __future__ import annotations

import pytest

from tests.faults.traffic import Stream, new_prefix, results, wait_applied_exactly_once

MESSAGES = 2000


@pytest.mark.slow
def test_broker_node_restarts_mid_stream_keep_every_process_and_apply_every_result_once(
    fault_stack, exams_ledger, figures
):
    prefix = new_prefix("restart")
    bodies = results(prefix, MESSAGES)
    pids = fault_stack.pids()
    stream = Stream(fault_stack.node.amqp_uri, bodies, rate=500)
    stream.start()
    restarts, applied = [], 0
    for crash in (False, True, False, True):
        # Each restart strikes while exams is applying results again and both services have a backlog.
        target = applied + MESSAGES // 8
        fault_stack.wait_for(lambda target=target: exams_ledger.sittings(prefix) >= target, 60,
                             "exams applying results before the restart")
        applied = exams_ledger.sittings(prefix)
        down = fault_stack.node.restart(crash=crash)
        restarts.append(f"{'killed' if crash else 'stopped'} after {applied} applied, down {down:.1f}s")

    drained = wait_applied_exactly_once(fault_stack, exams_ledger, prefix, stream)

    figures(f"node {'; '.join(restarts)}; {drained}")
    assert fault_stack.pids() == pids and not fault_stack.dead(), fault_stack.report()
