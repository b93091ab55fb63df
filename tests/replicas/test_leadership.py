"""`leadership`: of the replicas that start a job at the same moment, one runs it (issue 17).

Real threads on real connections, released together by a barrier, as the
timers of two pods fire at midnight. The one that leads keeps the lead across
its commits; the others skip at once; once it is done the next one may lead.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from certtrack_shared.database import create_service_engine
from certtrack_shared.locks import leadership

REPLICAS = 4


@pytest.fixture(scope="module")
def postgres(run_databases):
    engine = create_service_engine(run_databases.url("leadership"), pool_size=REPLICAS)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_file(tmp_path):
    engine = create_service_engine(f"sqlite:///{tmp_path / 'leadership.db'}")
    yield engine
    engine.dispose()


def _race(engine) -> tuple[int, int]:
    """REPLICAS threads try to lead one job at once: (how many ran it, how many skipped it
    while it ran)."""
    start, lock = threading.Barrier(REPLICAS), threading.Lock()
    ran, skipped, leader_may_finish = [], [], threading.Event()

    def replica():
        with Session(engine) as session:
            start.wait()
            with leadership(session, "test-job") as leading:
                if not leading:
                    with lock:
                        skipped.append(1)
                    return
                leader_may_finish.wait(10)  # the job runs until every other replica has come
                session.execute(text("SELECT 1"))
                with lock:
                    ran.append(1)

    threads = [threading.Thread(target=replica) for _ in range(REPLICAS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(skipped) < REPLICAS - 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    skipped_while_running = len(skipped)
    leader_may_finish.set()
    for thread in threads:
        thread.join(10)
    return len(ran), skipped_while_running


@pytest.mark.parametrize("database", ["postgres", "sqlite_file"])
def test_one_of_the_replicas_starting_together_runs_the_job_and_the_others_skip(database, request):
    assert _race(request.getfixturevalue(database)) == (1, REPLICAS - 1)


def test_the_lead_lasts_across_the_jobs_commits_and_ends_with_the_block(postgres):
    with Session(postgres) as leader, Session(postgres) as other:
        with leadership(leader, "test-job") as leading:
            assert leading
            leader.execute(text("SELECT 1"))
            leader.commit()  # the daily run commits each candidate: still the leader
            with leadership(other, "test-job") as also:
                assert not also
        with leadership(other, "test-job") as now:
            assert now
        with leadership(other, "another-job") as unrelated, leadership(leader, "test-job") as again:
            assert unrelated and again


def test_a_replica_told_to_wait_runs_after_the_leader_is_done(postgres):
    order = []
    with Session(postgres) as leader, Session(postgres) as staff:
        with leadership(leader, "test-job"):
            waiting = threading.Thread(target=lambda: _wait_then_run(staff, order))
            waiting.start()
            waiting.join(0.5)
            assert waiting.is_alive()  # still waiting for the leader
            order.append("leader")
        waiting.join(10)
    assert order == ["leader", "staff"]


def _wait_then_run(session, order):
    with leadership(session, "test-job", wait=True) as leading:
        assert leading
        order.append("staff")
