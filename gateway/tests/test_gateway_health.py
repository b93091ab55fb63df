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
