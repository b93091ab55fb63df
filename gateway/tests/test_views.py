"""Replies kept in Redis for candidate pages (gateway/gateway/views.py, decision 0034),
on the real Redis: served while the owning service's counters are unchanged,
asked again as soon as a change is counted, even one counted while the
service was being asked; never kept for a service that does not count."""
from __future__ import annotations

import uuid

import pytest
import redis
from flask import Flask

from certtrack_shared.view_generations import Generations, counting_key
from gateway import views
from gateway.views import CandidateViews

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def space():
    name = f"test-views-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"certtrack:{name}:*"):
        client.delete(key)


class Service:
    """Stands in for certs: answers with its current state and counts the asks."""

    def __init__(self):
        self.state, self.asked = "CCNA in progress", 0

    def ask(self):
        self.asked += 1
        return {"items": [self.state]}


class Site:
    """A gateway app keeping replies; each `read` is one request of its own."""

    def __init__(self, space, redis_url=REDIS_URL):
        self.app = Flask("views-test")
        self.app.extensions["candidate_views"] = CandidateViews(redis_url, space)

    def read(self, service, method, candidate_id, ask):
        with self.app.test_request_context():
            return views.read(service, method, candidate_id, ask)


def counting(space) -> Generations:
    generations = Generations(redis.Redis.from_url(REDIS_URL), space, "certs")
    generations.announce()
    return generations


def test_a_kept_reply_serves_until_the_service_counts_a_change(space):
    site, certs, generations = Site(space), Service(), counting(space)
    read = lambda: site.read("certs", "certifications", "CSCO00000001", certs.ask)  # noqa: E731

    assert read() == {"items": ["CCNA in progress"]} and read() == read()
    assert certs.asked == 1

    certs.state = "CCNA active"
    generations.bump({"CSCO00000001"})
    assert read() == {"items": ["CCNA active"]} and certs.asked == 2
    generations.bump({"*"})  # everyone's pages changed
    read()
    assert certs.asked == 3


def test_a_change_counted_while_the_service_was_asked_is_not_hidden(space):
    site, certs, generations = Site(space), Service(), counting(space)

    def ask_while_changing():
        reply = certs.ask()  # the service read the old state …
        certs.state = "CCNA active"
        generations.bump({"CSCO00000001"})  # … and the change committed after
        return reply

    assert site.read("certs", "certifications", "CSCO00000001", ask_while_changing)["items"] == \
        ["CCNA in progress"]
    assert site.read("certs", "certifications", "CSCO00000001", certs.ask)["items"] == ["CCNA active"]


def test_candidates_do_not_see_each_other_s_kept_replies(space):
    site, generations = Site(space), counting(space)
    site.read("certs", "certifications", "CSCO00000001", lambda: {"owner": "ada"})
    assert site.read("certs", "certifications", "CSCO00000002", lambda: {"owner": "bob"}) == {"owner": "bob"}
    assert generations  # counting, so the first reply was kept for its own candidate only


def test_nothing_is_kept_for_a_service_that_does_not_say_it_counts(space):
    site, certs = Site(space), Service()
    site.read("certs", "certifications", "CSCO00000001", certs.ask)
    site.read("certs", "certifications", "CSCO00000001", certs.ask)
    assert certs.asked == 2
    assert not redis.Redis.from_url(REDIS_URL).exists(counting_key(space, "certs"))


def test_redis_out_of_reach_asks_the_service(space):
    site, certs = Site(space, "redis://127.0.0.1:1/0"), Service()
    assert site.read("certs", "certifications", "CSCO00000001", certs.ask) == {"items": ["CCNA in progress"]}
    assert site.read("certs", "certifications", "CSCO00000001", certs.ask) == {"items": ["CCNA in progress"]}
    assert certs.asked == 2


def test_a_request_that_asks_a_service_anything_else_reads_afresh(space):
    site, certs, generations = Site(space), Service(), counting(space)
    site.read("certs", "certifications", "CSCO00000001", certs.ask)  # kept
    with site.app.test_request_context():
        views.read("identity", "get_profile", "CSCO00000001", lambda: {"name": "Ada"})  # reads all at once
        certs.state = "CCNA active"  # … the request accepts the agreement, which certs counts:
        generations.bump({"CSCO00000001"})
        views.called("certs", "accept_certification_agreement")
        assert views.read("certs", "certifications", "CSCO00000001", certs.ask) == {"items": ["CCNA active"]}


def test_a_candidates_session_is_checked_in_the_round_trip_of_the_page(space, monkeypatch):
    from gateway import ended_sessions

    site, certs, _generations = Site(space), Service(), counting(space)
    site.app.config["REDIS_URL"] = REDIS_URL
    ended_sessions.install(site.app)
    logged_out = f"test-views-{uuid.uuid4().hex}"
    site.app.extensions["ended_sessions"].end(logged_out, 60)
    site.read("certs", "certifications", "CSCO00000001", certs.ask)  # kept
    commands = []
    for client in (site.app.extensions["candidate_views"].redis, site.app.extensions["ended_sessions"]._redis):
        monkeypatch.setattr(client, "execute_command",
                            lambda *args, _sent=client.execute_command, **kwargs: (
                                commands.append(args[0]), _sent(*args, **kwargs))[1])

    for session_id, ended in ((logged_out, True), ("a-session-still-open", False)):
        with site.app.test_request_context():
            assert ended_sessions.has_ended(session_id, "CSCO00000001") is ended
            assert views.read("certs", "certifications", "CSCO00000001", certs.ask) == \
                {"items": ["CCNA in progress"]}

    assert commands == ["MGET", "MGET"] and certs.asked == 1
    redis.Redis.from_url(REDIS_URL).delete(ended_sessions.KEY_PREFIX + logged_out)


def test_with_redis_out_of_reach_a_session_is_let_through(space):
    from gateway import ended_sessions

    site = Site(space, "redis://127.0.0.1:1/0")
    site.app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    ended_sessions.install(site.app)
    with site.app.test_request_context():
        assert ended_sessions.has_ended("any-session", "CSCO00000001") is False
