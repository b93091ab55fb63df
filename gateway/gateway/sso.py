"""Single sign-on by OpenID Connect (`/login/sso`), on only when OIDC_ISSUER is set.

The authorization-code flow with PKCE (S256), run by Authlib's Flask client:
the provider is found by discovery (`<issuer>/.well-known/openid-configuration`),
state, nonce and code verifier wait in the candidate's session between the two
legs, and the ID token's signature, issuer, audience and nonce are checked on
the way back.

An external identity (issuer, subject) that identity already maps to a
candidate logs that candidate straight in. An unmapped one is kept in the
session (`auth.session.remember_pending_external_identity`) and the person
goes to the first-time login, whose mailed link maps it (docs/decisions/0003-identity.md).
Nothing is ever matched by the provider's email claim alone: anyone can put
any address in an account at some provider.

Whatever goes wrong at the provider (the person cancels, a stale or forged
state, a token that does not verify, the provider down) ends on a page that
says so in words, never a stack trace.
"""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, url_for
from joserfc.errors import JoseError

from .auth import session as candidate_session

log = logging.getLogger(__name__)

blueprint = Blueprint("sso", __name__)

_CLIENT = "sso"
_SCOPE = "openid email profile"
# The provider gets this long to answer discovery, token and key requests.
_PROVIDER_TIMEOUT_SECONDS = 10


def install(app: Flask) -> None:
    """Register the SSO routes when a provider is configured; without one they do not exist."""
    issuer = app.config.get("OIDC_ISSUER")
    if not issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        _CLIENT,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": _SCOPE,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic",
            "default_timeout": _PROVIDER_TIMEOUT_SECONDS,
        },
    )
    app.register_blueprint(blueprint)


class _Problem:
    """What the person is told when the sign-in did not work."""

    CANCELLED = (
        400, "Single sign-on was cancelled",
        "You did not allow CertTrack to sign you in. Nothing was changed.",
    )
    FAILED = (
        400, "Single sign-on did not work",
        "The answer from the sign-on provider could not be verified (the sign-in may have "
        "taken too long or been started in another window). Please start again.",
    )
    UNAVAILABLE = (
        503, "Single sign-on is unavailable",
        "The sign-on provider cannot be reached right now. Please try again in a moment, "
        "or log in with your password.",
    )


@blueprint.get("/login/sso")
def start():
    client = _client()
    try:
        metadata = client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
            # OpenID Connect Discovery §4.3: the document must name the issuer asked.
            log.error("OIDC discovery names issuer %r, not the configured OIDC_ISSUER", metadata.get("issuer"))
            return _problem(_Problem.UNAVAILABLE)
        return client.authorize_redirect(_callback_url())
    except (requests.RequestException, ValueError) as error:
        log.warning("OIDC provider unreachable at start: %s", type(error).__name__)
        return _problem(_Problem.UNAVAILABLE)


@blueprint.get("/login/sso/callback")
def callback():
    try:
        token = _client().authorize_access_token()
    except AuthlibBaseError as error:
        # error.error is the OAuth error code: access_denied when the person
        # said no, mismatching_state when the state is not this session's.
        log.info("SSO sign-in refused: %s", error.error)
        return _problem(_Problem.CANCELLED if error.error == "access_denied" else _Problem.FAILED)
    except JoseError as error:
        log.warning("SSO ID token did not verify: %s", type(error).__name__)
        return _problem(_Problem.FAILED)
    except (requests.RequestException, ValueError) as error:
        log.warning("OIDC provider unreachable at callback: %s", type(error).__name__)
        return _problem(_Problem.UNAVAILABLE)

    claims = token.get("userinfo")
    if not claims or not claims.get("iss") or not claims.get("sub"):
        # No verified ID token (the provider answered a plain OAuth token).
        log.warning("SSO token response carried no verified ID token")
        return _problem(_Problem.FAILED)
    issuer, subject, email = claims["iss"], claims["sub"], claims.get("email")

    candidate = current_app.extensions["rpc"].call(
        "identity", "find_by_external_identity", issuer=issuer, subject=subject
    )
    if candidate is not None:
        candidate_session.log_in(candidate)  # a fresh session: nothing pending survives it
        return redirect(url_for("site.home"))
    candidate_session.remember_pending_external_identity(issuer, subject, email)
    return redirect(url_for("auth.first_time"))


def _client():
    return current_app.extensions["authlib.integrations.flask_client"].create_client(_CLIENT)


def _callback_url() -> str:
    # From SITE_URL, not the request's Host header: the provider must be given
    # the one address registered with it, whatever proxy the request came through.
    return current_app.config["SITE_URL"].rstrip("/") + url_for("sso.callback")


def _problem(problem: tuple[int, str, str]):
    status, title, message = problem
    page = render_template(
        "sso/problem.html", title=title, message=message, password_login_url=url_for("auth.login"),
    )
    return page, status
