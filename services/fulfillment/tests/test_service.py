"""The fulfillment service starts on a migrated database and answers its health RPC."""


def test_health_answers_with_a_working_database(rpc):
    assert rpc.health() == {"service": "fulfillment", "database": "ok"}
