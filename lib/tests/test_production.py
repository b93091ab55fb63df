"""Production refuses insecure settings: the rules (certtrack_shared/production.py), no process."""
import pytest

from certtrack_shared import config, production

GOOD_AMQP = "amqps://identity:Zt7w-long-random@rabbitmq.internal:5671/certtrack"
GOOD_KEY = "q" * 20 + "W" * 20


def problems(**settings):
    return production.insecure_settings(settings)


@pytest.mark.parametrize("uri, says", [
    (config.DEFAULT_AMQP_URI, "built-in development default"),
    ("amqps://guest:s3cret-enough@rabbitmq.internal:5671/", "'guest'"),
    ("amqps://rabbitmq.internal:5671/", "names no user"),
    ("amqps://vendor-dev:other@rabbitmq.internal:5671/", "'vendor-dev'"),
    ("amqps://warehouse-dev:warehouse-dev@rabbitmq.internal:5671/", "'warehouse-dev'"),
    ("amqps://identity:identity@rabbitmq.internal:5671/", "password equal to the user name"),
    ("amqps://identity@rabbitmq.internal:5671/", "no password"),
    ("amqps://certtrack-exams:development-only-exams@rabbitmq.internal:5671/",
     "development password"),
    ("amqps://certtrack-exams:CHANGE-ME@rabbitmq.internal:5671/", "placeholder"),
    ("amqp://identity:Zt7w-long-random@rabbitmq.internal:5672/", "amqps://"),
])
def test_broker_uri_with_default_credentials_or_without_tls_is_refused(uri, says):
    (problem,) = problems(AMQP_URI=uri)

    assert problem.startswith("AMQP_URI") and says in problem


def test_broker_password_never_appears_in_the_message():
    (problem,) = problems(AMQP_URI="amqp://identity:Zt7w-long-random@rabbitmq.internal:5672/")

    assert "Zt7w" not in problem and "identity:***@" in problem


def test_every_address_of_a_broker_failover_list_is_checked_and_none_shows_its_password():
    (problem,) = problems(AMQP_URI=f"{GOOD_AMQP};amqp://identity:Zt7w-long-random@rabbitmq-2.internal:5672/")

    assert "amqps://" in problem and "rabbitmq-2.internal" in problem and "Zt7w" not in problem
    assert problems(AMQP_URI=f"{GOOD_AMQP};{GOOD_AMQP}") == []


@pytest.mark.parametrize("uri", [
    GOOD_AMQP,
    "amqp://identity:Zt7w-long-random@127.0.0.1:5672/",
    "amqp://identity:Zt7w-long-random@localhost:5672/",
    "amqp://identity:Zt7w-long-random@[::1]:5672/",
])
def test_broker_over_tls_or_on_loopback_with_its_own_user_is_accepted(uri):
    assert problems(AMQP_URI=uri) == []


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs",
    "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs?sslmode=prefer",
    "postgresql://certs:pw@db.internal/certtrack_certs?sslmode=disable",
])
def test_database_elsewhere_without_required_tls_is_refused(url):
    (problem,) = problems(CERTS_DATABASE_URL=url)

    assert problem.startswith("CERTS_DATABASE_URL") and "sslmode" in problem and "pw@" not in problem


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs?sslmode=require",
    "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs?sslmode=verify-ca",
    "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs?sslmode=verify-full",
    "postgresql+psycopg2://postgres@127.0.0.1:5432/certtrack_certs",
    "postgresql+psycopg2://certs@/certtrack_certs?host=/var/run/postgresql",
    "sqlite:///var/certs.db",
])
def test_database_with_required_tls_or_on_loopback_is_accepted(url):
    assert problems(CERTS_DATABASE_URL=url) == []


def test_pgsslmode_stands_in_for_a_url_without_sslmode():
    url = "postgresql+psycopg2://certs:pw@db.internal:5432/certtrack_certs"

    assert production.insecure_settings({"CERTS_DATABASE_URL": url}, pgsslmode="verify-full") == []


def test_redis_elsewhere_without_tls_is_refused_and_loopback_or_tls_accepted():
    (problem,) = problems(REDIS_URL="redis://:pw@redis.internal:6379/0")

    assert problem.startswith("REDIS_URL") and "rediss://" in problem
    assert problems(REDIS_URL="rediss://:pw@redis.internal:6380/0") == []
    assert problems(REDIS_URL="redis://127.0.0.1:6379/0") == []


@pytest.mark.parametrize("key, says", [
    (None, "not set"),
    ("", "not set"),
    ("short", "5 characters"),
    ("dev-only-insecure-secret-key", "development key"),
    ("e2e-secret-key-not-for-production", "development key"),
])
def test_missing_short_or_development_secret_key_is_refused(key, says):
    (problem,) = problems(SECRET_KEY=key)

    assert problem.startswith("SECRET_KEY") and says in problem


def test_every_problem_is_listed_not_only_the_first():
    found = problems(AMQP_URI=config.DEFAULT_AMQP_URI, SECRET_KEY="short",
                     REDIS_URL="redis://redis.internal:6379/0")

    assert [p.split()[0] for p in found] == ["AMQP_URI", "REDIS_URL", "SECRET_KEY"]


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_start_with_anything(environment):
    assert production.problems_at_start(environment, {"AMQP_URI": config.DEFAULT_AMQP_URI, "SECRET_KEY": None},
                                        environ={}) == []


def test_production_checks_what_the_environment_carries_besides_what_the_process_uses():
    environ = {"AMQP_URI": config.DEFAULT_AMQP_URI, "PATH": "/usr/bin"}

    (problem,) = production.problems_at_start("production", {"TRANSCRIPTS_DATABASE_URL": None}, environ)

    assert problem.startswith("AMQP_URI")


def test_an_unknown_environment_is_production_and_named():
    found = production.problems_at_start("staging", {"AMQP_URI": GOOD_AMQP}, environ={})

    assert found == ["CERTTRACK_ENV='staging' is none of development, test, production"]


def test_the_environment_defaults_to_production(monkeypatch):
    monkeypatch.delenv("CERTTRACK_ENV", raising=False)

    assert config.environment() == "production" and not config.is_development()


def test_refusal_exits_naming_each_setting(monkeypatch):
    monkeypatch.delenv("CERTTRACK_ENV", raising=False)
    monkeypatch.delenv("AMQP_URI", raising=False)

    with pytest.raises(SystemExit) as refused:
        production.refuse_insecure_settings("exams", production.service_settings("exams", {}))

    assert str(refused.value).startswith("exams: refusing to start") and "AMQP_URI" in str(refused.value)


def test_a_service_is_checked_with_its_nameko_config():
    settings = production.service_settings("exams", {"AMQP_URI": GOOD_AMQP, "DATABASE_URL": "sqlite://"})

    assert settings == {"AMQP_URI": GOOD_AMQP, "EXAMS_DATABASE_URL": "sqlite://"}
