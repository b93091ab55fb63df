"""Certificates & Plaques: kit entitlements, the claim-and-purchase flow, order history.

- `pages`: the tab (`/certificates`), the step-by-step "Claim & Purchase
  Fulfillment" flow and "Certification Fulfillment Kit History & Status";
- `api`: `/api/v1/me/entitlements` and `/api/v1/me/orders` (bearer token);
- `client`: how these call the fulfillment service.

Every view works on the candidate of the session or token, never on an ID
from the URL or the body; an order of another candidate "does not exist".
Card numbers pass straight from the form to the service and are never put
in the session, a log line or a page.
"""
from __future__ import annotations

from flask import Flask

from . import api, pages


def install(app: Flask) -> None:
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
