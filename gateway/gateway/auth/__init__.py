"""Candidate authentication.

- `session`: the browser session (`log_in`, `log_out`, `current_candidate`,
  `login_required`, the pending external identity of single sign-on);
- `tokens`: the API's bearer tokens (`issue`, `verify`, `bearer_required`);
- `pages`: the site's login, first-time, reset and confirmation pages;
- `api`: `/api/v1/auth/*`;
- `sso`: single sign-on with an OpenID Connect provider (`/login/sso/…`),
  installed by the app factory only when `OIDC_ISSUER` names one;
- `client`: how these (and the staff console's sign-in) call the identity service;
- `session_cookie`: the session cookie, re-signed at most once a minute while used.
"""
from __future__ import annotations

import flask  # `flask.session`: the name `session` here is the submodule below
from flask import Flask, request

from . import api, pages, session_cookie
from .session import CANDIDATE_ID, current_candidate

# Pages whose address carries a mailed link's token.
_LINK_PAGES = {"auth.set_first_password", "auth.reset_password", "auth.confirm_email"}


def install(app: Flask) -> None:
    session_cookie.install(app)  # re-signed at most once a minute while used
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)

    @app.context_processor
    def candidate_context():
        try:
            return {"current_candidate": current_candidate()}
        except Exception:  # noqa: BLE001 - identity down: the page (an error page, say) still renders
            return {"current_candidate": None}

    @app.after_request
    def keep_personal_pages_out_of_caches(response):
        # A logged-in candidate's pages show personal data, and link pages a
        # one-use token: neither may stay in the browser's or a proxy's cache.
        if flask.session.get(CANDIDATE_ID) or request.endpoint in _LINK_PAGES:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
