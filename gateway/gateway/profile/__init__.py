"""Personal Info: the candidate's own record.

- `pages`: Settings, Identification, Attributes and name change
  (`/personal-info/…`), and the logged-in candidate's Home;
- `api`: the same record over `/api/v1/me` (bearer token);
- `client`: how these, and the staff console's candidate pages, call identity
  about candidates' records and tickets.

Every view works on the candidate of the session or token, never on an ID
from the URL or the body.
"""
from __future__ import annotations

from flask import Flask

from . import api, pages


def install(app: Flask) -> None:
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
