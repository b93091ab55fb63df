"""Single sign-on is configured by OIDC_* variables, checked when the gateway starts."""
import pytest

from gateway import settings
from gateway.app import create_app


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CERTTRACK_ENV", "development")
    monkeypatch.chdir(tmp_path)


def test_sso_is_off_unless_an_issuer_is_configured():
    app = create_app()

    assert app.config["OIDC_ISSUER"] == ""
    assert "sso.start" not in app.view_functions


def test_sso_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OIDC_ISSUER", "https://sso.acme.example/")
    monkeypatch.setenv("OIDC_CLIENT_ID", "certtrack-prod")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "s3cret")

    app = create_app()

    assert app.config["OIDC_ISSUER"] == "https://sso.acme.example"
    assert app.config["OIDC_CLIENT_ID"] == "certtrack-prod"
    assert {"sso.start", "sso.callback"} <= set(app.view_functions)


def test_an_issuer_without_a_client_secret_refuses_to_start(monkeypatch):
    monkeypatch.setenv("OIDC_ISSUER", "http://127.0.0.1:9400")

    with pytest.raises(settings.SettingsError, match="OIDC_CLIENT_SECRET"):
        create_app()


def test_production_refuses_a_plain_http_issuer(monkeypatch):
    monkeypatch.setenv("CERTTRACK_ENV", "production")
    monkeypatch.setenv("AMQP_URI", "amqp://gateway:not-the-user-name@127.0.0.1:1/")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("OIDC_ISSUER", "http://sso.acme.example")
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "s3cret")

    with pytest.raises(settings.SettingsError, match="https"):
        create_app()
