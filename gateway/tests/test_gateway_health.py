def test_healthz_answers_ok_without_a_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_503_naming_every_component_when_the_broker_is_unreachable(client, app):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["components"] == {
        "broker": "unavailable",
        **{service: "unavailable" for service in app.config["SERVICES"]},
    }


def test_the_broker_is_reachable_when_any_node_of_a_failover_list_answers(amqp_uri):
    from gateway.health import broker_reachable
    from tests.harness.smtp import free_port

    gone = f"amqp://guest:guest@127.0.0.1:{free_port()}/"  # a node that went away

    assert broker_reachable(f"{gone};{amqp_uri}", timeout=2)
    assert not broker_reachable(f"{gone};{gone}", timeout=2)
