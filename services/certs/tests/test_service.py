"""The certs service starts on a migrated database and answers its health RPC."""


def test_health_answers_with_a_working_database(start_certs, rpc):
    start_certs()
    assert rpc.health() == {"service": "certs", "database": "ok"}
