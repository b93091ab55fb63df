"""A service counts, after each commit, the candidates whose rows it wrote
(certtrack_shared/view_generations.py, decision 0034): on the real Redis."""
from __future__ import annotations

import uuid

import pytest
import redis
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from certtrack_shared import view_generations
from certtrack_shared.view_generations import Generations, generation_key

REDIS_URL = "redis://127.0.0.1:6379/0"


class Base(DeclarativeBase):
    pass


class Standing(Base):
    __tablename__ = "standings"
    candidate_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))


class Setting(Base):  # a row of no candidate
    __tablename__ = "settings"
    name: Mapped[str] = mapped_column(String(20), primary_key=True)


@pytest.fixture
def counted(tmp_path):
    space = f"test-gens-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    sessions = sessionmaker(bind=engine)
    view_generations.track(sessions, Generations(client, space, "certs"))

    def count(candidate_id):
        return int(client.get(generation_key(space, "certs", candidate_id)) or 0)

    yield sessions, count
    for key in client.scan_iter(f"certtrack:{space}:*"):
        client.delete(key)
    engine.dispose()


def test_a_commit_counts_each_candidate_it_wrote_once(counted):
    sessions, count = counted
    with sessions() as session:
        session.add_all([Standing(candidate_id="CSCO1", status="in_progress"),
                         Standing(candidate_id="CSCO2", status="active"), Setting(name="x")])
        session.flush()
        session.get(Standing, "CSCO1").status = "active"  # written twice, counted once
        session.commit()
    assert (count("CSCO1"), count("CSCO2"), count("CSCO3"), count("*")) == (1, 1, 0, 0)

    with sessions() as session:
        session.delete(session.get(Standing, "CSCO2"))
        session.commit()
    assert (count("CSCO1"), count("CSCO2")) == (1, 2)


def test_a_rolled_back_change_counts_nothing(counted):
    sessions, count = counted
    with sessions() as session:
        session.add(Standing(candidate_id="CSCO1", status="active"))
        session.flush()
        session.rollback()
        session.add(Setting(name="y"))
        session.commit()
    assert count("CSCO1") == 0


def test_a_program_wide_change_counts_for_everyone(counted):
    sessions, count = counted
    with sessions() as session:
        view_generations.everyone_changed(session)
        session.add(Setting(name="agreement"))
        session.commit()
    assert count("*") == 1


def test_a_service_without_redis_goes_on_committing(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Base.metadata.create_all(engine)
    sessions = sessionmaker(bind=engine)
    view_generations.track(sessions, Generations(
        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5), "x", "certs"))
    with sessions() as session:
        session.add(Standing(candidate_id="CSCO1", status="active"))
        session.commit()
    with sessions() as session:
        assert session.get(Standing, "CSCO1").status == "active"
    engine.dispose()


def test_after_redis_failed_commits_do_not_wait_on_it_again_at_once():
    class Unreachable:
        """A Redis whose every round trip times out (a partition, not a refusal)."""

        def __init__(self):
            self.tries = 0

        def pipeline(self, transaction=False):
            self.tries += 1
            raise redis.TimeoutError("Timeout connecting to server")

    client = Unreachable()
    generations = Generations(client, "x", "certs")
    for _ in range(10):
        generations.bump({"CSCO1"})
    assert client.tries == 1


def test_the_namespace_is_the_broker_virtual_host():
    assert view_generations.namespace("amqp://u:p@h:5672/certtrack-test-1") == "certtrack-test-1"
    assert view_generations.namespace("amqp://u:p@h:5672/") == "/"
    assert view_generations.namespace("amqp://u:p@a/v1;amqp://u:p@b/v1") == "v1"
