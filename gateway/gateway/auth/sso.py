"""Single sign-on by OpenID Connect (`/login/sso`), on only when OIDC_ISSUER is set.

The authorization-code flow with PKCE (S256), run by Authlib's Flask client:
the provider is found by discovery (`<issuer>/.well-known/openid-configuration`),
state, nonce and code verifier wait in the candidate's session between the two
legs, and the ID token's signature, issuer, audience and nonce are checked on
the way back.

An external identity (issuer, subject) that identity already maps to a
candidate logs that candidate straight in. An unmapped one is kept in this
browser's session (`auth.session.remember_pending_external_identity`) and is
connected only with proof of both sides (docs/decisions/0018-account-security.md):
a candidate logged in in this same session (before, from the Identification
page's "Connect a single sign-on account", or after, by password or a mailed
link's login) confirms it on `/login/sso/connect`, which names the provider
and the account; identity mails the candidate. A mailed link never carries
it, so nobody can plant their own account on a record whose owner follows a
genuine mail. Nothing is ever matched by the provider's email claim alone:
anyone can put any address in an account at some provider.

Whatever goes wrong at the provider (the person cancels, a stale or forged
state, a token that does not verify, the provider down) ends on a page that
says so in words, never a stack trace.
"""
from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from joserfc.errors import JoseError
from nameko.exceptions import RemoteError

from ..errors import problem_for
from . import client as identity
from . import session as candidate_session
from .forms import ConfirmForm

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

    candidate = identity.find_by_external_identity(issuer=issuer, subject=subject)
    if candidate is not None:
        candidate_session.log_in(candidate)  # a fresh session: nothing pending survives it
        return redirect(url_for("site.home"))
    candidate_session.remember_pending_external_identity(issuer, subject, email)
    if candidate_session.current_candidate() is not None:
        return redirect(url_for("sso.connect"))
    return redirect(url_for("auth.login"))


@blueprint.route("/login/sso/connect", methods=["GET", "POST"])
@candidate_session.login_required
def connect():
    """Confirm which single sign-on account may log in to the logged-in candidate's record."""
    pending = candidate_session.pending_external_identity()
    if pending is None:
        return redirect(url_for("profile.identification"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        candidate_session.forget_pending_external_identity()
        if request.form.get("decision") != "connect":
            flash("The single sign-on account was not connected.", "info")
            return redirect(url_for("profile.identification"))
        try:
            linked = identity.link_external_identity(candidate_id=candidate_session.current_candidate_id(),
                                                     external_identity=pending)
        except RemoteError as error:
            if not identity.refused(error, "ExternalIdentityTaken"):
                raise
            flash(problem_for(error).message, "error")
        else:
            candidate_session.credentials_changed_here(linked)
            flash(f"{pending.get('email') or pending['subject']} at {pending['issuer']} is connected: "
                  "it logs you in from now on. We mailed you about it.", "success")
        return redirect(url_for("profile.identification"))
    return render_template("sso/connect.html", pending=pending, form=form,
                           candidate=candidate_session.current_candidate())


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
