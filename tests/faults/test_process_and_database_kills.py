"""A stream of vendor results while the exams process is killed with -9 (and
started again, as a supervisor would) or its database connections are
terminated: every result is applied exactly once, and every process that was
not killed keeps its PID."""
from __future__ import annotations

import time

import pytest

from tests.faults.traffic import Stream, new_prefix, results, wait_applied_exactly_once


@pytest.mark.slow
def test_exams_killed_mid_stream_and_restarted_applies_every_result_once(
    fault_stack, exams_ledger, figures
):
    prefix = new_prefix("kill")
    bodies = results(prefix, 1000)
    exams, identity_pid = fault_stack["exams"], fault_stack["identity"].pid
    stream = Stream(fault_stack.node.amqp_uri, bodies, rate=250)
    stream.start()
    fault_stack.wait_for(lambda: exams_ledger.sittings(prefix) >= 250, 60,
                         "exams to apply results before the kill")
    exams.kill()
    killed_at = time.monotonic()
    applied_at_kill = exams_ledger.sittings(prefix)
    time.sleep(1)  # the vendor goes on publishing while exams is down
    exams.start()
    fault_stack.wait_ready("exams")
    back_after = time.monotonic() - killed_at

    drained = wait_applied_exactly_once(fault_stack, exams_ledger, prefix, stream)

    figures(f"kill -9 after {applied_at_kill} applied, consuming again {back_after:.1f}s later; {drained}")
    assert exams.alive
    assert fault_stack["identity"].alive and fault_stack["identity"].pid == identity_pid


@pytest.mark.slow
def test_exams_database_connections_terminated_mid_stream_apply_every_result_once(
    fault_stack, exams_ledger, figures
):
    prefix = new_prefix("dbkill")
    bodies = results(prefix, 1000)
    pids = fault_stack.pids()
    stream = Stream(fault_stack.node.amqp_uri, bodies, rate=200)
    stream.start()
    terminated = []
    for round_ in range(1, 5):
        fault_stack.wait_for(lambda target=180 * round_: exams_ledger.sittings(prefix) >= target, 60,
                             f"progress before database kill {round_}")
        terminated.append(exams_ledger.terminate_connections())

    drained = wait_applied_exactly_once(fault_stack, exams_ledger, prefix, stream)

    figures(f"pg_terminate_backend {len(terminated)} times ({'+'.join(map(str, terminated))} "
            f"connections); {drained}")
    assert fault_stack.pids() == pids and not fault_stack.dead(), fault_stack.report()
