"""Where make run and make test take RabbitMQ, PostgreSQL and Redis from, on
every kind of machine (deploy/local_infra/choice.py, decision 0032): decided
from facts, so a laptop with only a Docker engine is tried here too."""
from __future__ import annotations

import itertools

import pytest

from deploy.local_infra.choice import COMPONENTS, Facts, Source, choose
from deploy.local_infra.probes import broker_addresses, gather

NOTHING = frozenset()
EVERYTHING = frozenset(COMPONENTS)


def sources(facts: Facts) -> dict[str, Source]:
    return {component: choice.source for component, choice in choose(facts).items()}


def test_debian_as_root_installs_what_does_not_answer_and_leaves_what_does():
    facts = Facts(answering=frozenset({"redis"}), apt=True, root=True, engine=False, strict=True)
    assert sources(facts) == {"rabbitmq": Source.DEBIAN, "postgres": Source.DEBIAN, "redis": Source.RUNNING}


def test_debian_packages_are_preferred_to_a_docker_engine_where_both_can_serve():
    facts = Facts(answering=NOTHING, apt=True, root=True, engine=True)
    assert set(sources(facts).values()) == {Source.DEBIAN}


def test_a_laptop_with_only_a_docker_engine_runs_throwaway_containers():
    facts = Facts(answering=NOTHING, apt=False, root=False, engine=True, strict=True)
    assert set(sources(facts).values()) == {Source.CONTAINER}


def test_a_debian_developer_who_is_not_root_gets_containers_when_an_engine_answers():
    facts = Facts(answering=frozenset({"postgres"}), apt=True, root=False, engine=True)
    assert sources(facts) == {"rabbitmq": Source.CONTAINER, "postgres": Source.RUNNING, "redis": Source.CONTAINER}


def test_what_already_answers_is_used_even_beside_an_engine():
    facts = Facts(answering=EVERYTHING, apt=False, root=False, engine=True)
    assert set(sources(facts).values()) == {Source.RUNNING}


def test_without_packages_or_engine_make_run_falls_back_but_the_broker_is_required():
    choices = choose(Facts(answering=NOTHING, apt=False, root=False, engine=False, strict=False))
    assert choices["rabbitmq"].fatal
    assert not choices["postgres"].fatal and "SQLite" in choices["postgres"].message
    assert not choices["redis"].fatal and "session cookie" in choices["redis"].message
    assert "Docker engine" in choices["rabbitmq"].message and "127.0.0.1:5672" in choices["rabbitmq"].message


def test_make_test_has_no_fallback_for_postgres_or_redis():
    choices = choose(Facts(answering=frozenset({"rabbitmq"}), apt=False, root=False, engine=False, strict=True))
    assert choices["postgres"].fatal and choices["redis"].fatal


def test_a_debian_user_without_root_is_told_the_package_to_install():
    choices = choose(Facts(answering=NOTHING, apt=True, root=False, engine=False))
    assert "apt-get install postgresql" in choices["postgres"].message
    assert "apt-get install rabbitmq-server" in choices["rabbitmq"].message


def test_a_remote_broker_that_does_not_answer_is_never_replaced_by_a_local_one():
    facts = Facts(answering=NOTHING, apt=True, root=True, engine=True,
                  broker_ours=False, broker_address="mq.example.org:5672")
    choice = choose(facts)["rabbitmq"]
    assert choice.source is Source.MISSING and choice.fatal
    assert "mq.example.org:5672" in choice.message


FACT_SPACE = [
    Facts(answering=frozenset(answering), apt=apt, root=root, engine=engine, strict=strict, broker_ours=ours)
    for answering in itertools.chain.from_iterable(itertools.combinations(COMPONENTS, n) for n in range(4))
    for apt, root, engine, strict, ours in itertools.product([False, True], repeat=5)
]


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_machine_gets_an_answer_that_holds_together(component):
    """Over every combination of the facts: 8 sets of answering ports x apt,
    root, engine, strict and a local broker (256 machines)."""
    for facts in FACT_SPACE:
        choice = choose(facts)[component]
        where = f"{component} on {facts}"
        assert (choice.source is Source.RUNNING) == (component in facts.answering), where
        if choice.source is Source.DEBIAN:
            assert facts.apt and facts.root, where
        if choice.source is Source.CONTAINER:
            assert facts.engine and not (facts.apt and facts.root), where
        if choice.source in (Source.DEBIAN, Source.CONTAINER) and component == "rabbitmq":
            assert facts.broker_ours, where
        if choice.source is Source.MISSING:
            assert choice.message, where
            assert choice.fatal == (component == "rabbitmq" or facts.strict), where
        else:
            assert not choice.fatal, where


def test_broker_addresses_read_a_failover_list():
    assert broker_addresses("amqp://u:p@127.0.0.1/") == [("127.0.0.1", 5672)]
    assert broker_addresses("amqp://u:p@a:5673/vh;amqp://u:p@b/vh") == [("a", 5673), ("b", 5672)]


def test_a_single_local_broker_is_ours_to_start_and_a_cluster_is_not():
    def nothing_answers(host, port):
        return False

    one = gather({"AMQP_URI": "amqp://guest:guest@localhost:5673/"}, engine=True, answers=nothing_answers)
    assert one.broker_ours and one.broker_address == "localhost:5673" and one.answering == NOTHING
    cluster = gather({"AMQP_URI": "amqp://g:g@127.0.0.1:5672/;amqp://g:g@127.0.0.1:5673/"}, engine=True,
                     answers=nothing_answers)
    assert not cluster.broker_ours


def test_the_broker_answers_when_any_address_of_the_list_does():
    def second_node_only(host, port):
        return (host, port) == ("127.0.0.1", 5673)

    facts = gather({"AMQP_URI": "amqp://g:g@127.0.0.1:5672/;amqp://g:g@127.0.0.1:5673/", "STRICT": "1"},
                   engine=False, answers=second_node_only)
    assert facts.answering == frozenset({"rabbitmq"}) and facts.strict
