import pytest

from gateway import settings
from gateway.app import create_app


# A broker user of its own: production refuses guest (certtrack_shared/production.py).
PRODUCTION_AMQP_URI = "amqp://gateway:not-the-user-name@127.0.0.1:1/"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "RPC_TIMEOUT", "RPC_POOL_SIZE", "AMQP_URI", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERTTRACK_ENV", "development")
    monkeypatch.chdir(tmp_path)


def production(monkeypatch):
    monkeypatch.setenv("CERTTRACK_ENV", "production")
    monkeypatch.setenv("AMQP_URI", PRODUCTION_AMQP_URI)


def test_an_unset_environment_is_production(monkeypatch):
    monkeypatch.delenv("CERTTRACK_ENV")

    with pytest.raises(settings.SettingsError, match="SECRET_KEY") as refused:
        create_app()

    assert "AMQP_URI" in str(refused.value)


@pytest.mark.parametrize("name, value, says", [
    ("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", "'guest'"),
    ("REDIS_URL", "redis://redis.internal:6379/0", "rediss://"),
])
def test_production_refuses_insecure_connections(monkeypatch, name, value, says):
    production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv(name, value)

    with pytest.raises(settings.SettingsError, match=f"{name} .*{says}"):
        create_app()


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    production(monkeypatch)

    with pytest.raises(settings.SettingsError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", "short")

    with pytest.raises(settings.SettingsError, match="SECRET_KEY is 5 characters"):
        create_app()


def test_production_session_cookie_is_secure_httponly_and_lax(monkeypatch):
    production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)

    config = create_app().config

    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_generates_one_key_and_keeps_it(tmp_path):
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]

    assert first == second and len(first) >= 32
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


def test_rpc_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RPC_TIMEOUT", "2.5")
    monkeypatch.setenv("RPC_POOL_SIZE", "3")

    app = create_app()

    assert (app.config["RPC_TIMEOUT"], app.config["RPC_POOL_SIZE"]) == (2.5, 3)
    assert (app.extensions["rpc"].timeout, app.extensions["rpc"].size) == (2.5, 3)


def test_rpc_defaults(monkeypatch):
    config = create_app().config

    assert (config["RPC_TIMEOUT"], config["RPC_POOL_SIZE"]) == (10.0, 8)


@pytest.mark.parametrize("value", ["ten", "0", "-1"])
def test_nonsense_rpc_timeout_is_a_startup_error(monkeypatch, value):
    monkeypatch.setenv("RPC_TIMEOUT", value)

    with pytest.raises(settings.SettingsError, match="RPC_TIMEOUT"):
        create_app()
