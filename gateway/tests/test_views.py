"""Replies kept in Redis for candidate pages (gateway/gateway/views.py, decision 0034),
on the real Redis: served while the owning service's counters are unchanged,
asked again as soon as a change is counted, even one counted while the
service was being asked; never kept for a service that does not count."""
from __future__ import annotations

import uuid

import pytest
import redis

from certtrack_shared.view_generations import Generations, counting_key
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


def counting(space) -> Generations:
    generations = Generations(redis.Redis.from_url(REDIS_URL), space, "certs")
    generations.announce()
    return generations


def test_a_kept_reply_serves_until_the_service_counts_a_change(space):
    views, certs, generations = CandidateViews(REDIS_URL, space), Service(), counting(space)
    read = lambda: views.read("certs", "certifications", "CSCO00000001", certs.ask)  # noqa: E731

    assert read() == {"items": ["CCNA in progress"]} and read() == read()
    assert certs.asked == 1

    certs.state = "CCNA active"
    generations.bump({"CSCO00000001"})
    assert read() == {"items": ["CCNA active"]} and certs.asked == 2
    generations.bump({"*"})  # everyone's pages changed
    read()
    assert certs.asked == 3


def test_a_change_counted_while_the_service_was_asked_is_not_hidden(space):
    views, certs, generations = CandidateViews(REDIS_URL, space), Service(), counting(space)

    def ask_while_changing():
        reply = certs.ask()  # the service read the old state …
        certs.state = "CCNA active"
        generations.bump({"CSCO00000001"})  # … and the change committed after
        return reply

    assert views.read("certs", "certifications", "CSCO00000001", ask_while_changing)["items"] == \
        ["CCNA in progress"]
    assert views.read("certs", "certifications", "CSCO00000001", certs.ask)["items"] == ["CCNA active"]


def test_candidates_do_not_see_each_other_s_kept_replies(space):
    views, generations = CandidateViews(REDIS_URL, space), counting(space)
    views.read("certs", "certifications", "CSCO00000001", lambda: {"owner": "ada"})
    assert views.read("certs", "certifications", "CSCO00000002", lambda: {"owner": "bob"}) == {"owner": "bob"}
    assert generations  # counting, so the first reply was kept for its own candidate only


def test_nothing_is_kept_for_a_service_that_does_not_say_it_counts(space):
    views, certs = CandidateViews(REDIS_URL, space), Service()
    views.read("certs", "certifications", "CSCO00000001", certs.ask)
    views.read("certs", "certifications", "CSCO00000001", certs.ask)
    assert certs.asked == 2
    assert not redis.Redis.from_url(REDIS_URL).exists(counting_key(space, "certs"))


def test_redis_out_of_reach_asks_the_service(space):
    views, certs = CandidateViews("redis://127.0.0.1:1/0", space), Service()
    assert views.read("certs", "certifications", "CSCO00000001", certs.ask) == {"items": ["CCNA in progress"]}
    assert views.read("certs", "certifications", "CSCO00000001", certs.ask) == {"items": ["CCNA in progress"]}
    assert certs.asked == 2
