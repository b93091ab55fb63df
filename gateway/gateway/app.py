"""The gateway's Flask app factory: `gunicorn 'gateway.app:create_app()'`."""
from __future__ import annotations

import atexit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, auth, devmail, ended_sessions, errors, health, metrics, profile, security, settings, site, staff
from . import tracing, views
from . import exams
from . import certifications
from . import vendor
from . import transcripts
from . import fulfillment
from .auth import sso
from .rpc import RpcPool


def check_settings() -> None:
    """Exit with the reason when the environment does not describe a gateway that can run.

    gunicorn.conf.py calls it in gunicorn's master, before a port is bound or a
    worker started: one message and exit status 1, not a traceback from every worker.
    """
    try:
        settings.load()
    except settings.SettingsError as error:
        raise SystemExit(str(error)) from None


def create_app(config: dict | None = None) -> Flask:
    """The gateway, configured from the environment; `config` overrides it (tests)."""
    app = Flask(__name__)
    app.json.sort_keys = False  # keep documents in their written order (`openapi` first)
    app.config.update(settings.load(config))
    development = app.config["CERTTRACK_ENV"] == "development"
    metrics.install(app)  # first: every request counted, by URL rule, whatever answers it
    tracing.install(app)  # every request's id, on its log lines, its RPC calls and its response

    rpc = RpcPool(app.config["AMQP_URI"], app.config["RPC_POOL_SIZE"], app.config["RPC_TIMEOUT"])
    app.extensions["rpc"] = rpc
    # Proxies open lazily, on first use, so the gateway starts (and /healthz
    # answers) while the broker is still coming up.
    atexit.register(rpc.close)
    ended_sessions.install(app)
    views.install(app)  # replies to candidate pages kept in Redis while current (decision 0034)

    security.install(app)
    errors.install(app)

    app.register_blueprint(site.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(api.blueprint)
    auth.install(app)  # login pages, /api/v1/auth, the candidate in every page's context
    profile.install(app)  # Personal Info pages and /api/v1/me
    exams.install(app)  # Testing History page, /api/v1/me/exams and /api/v1/me/exam-agreement
    certifications.install(app)  # Certifications, Continuing Education, Digital Badges, downloads, /verify/…
    vendor.install(app)  # POST /api/v1/vendor/events (vendor API keys, publisher confirms)
    fulfillment.install(app)  # Certificates & Plaques, claim/purchase flow, /api/v1/me/orders
    transcripts.install(app)  # Transcripts tab, /api/v1/me/transcripts, public /verify/<code> and its API
    sso.install(app)  # only when OIDC_ISSUER names a provider
    app.register_blueprint(staff.blueprint)
    if development:
        app.register_blueprint(devmail.blueprint)

    @app.context_processor
    def page_context():
        return {"development": development}

    # Outermost, so that what answers in front of Flask (transcripts/passthrough.py) sees the client too.
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
