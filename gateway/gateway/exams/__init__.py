"""Testing History: the candidate's exam results and the program's exam agreement.

- `pages`: the Testing History page (`/testing-history`) and accepting the
  agreement from it;
- `api`: `/api/v1/me/exams` and `/api/v1/me/exam-agreement` (bearer token);
- `client`: how these call the exams service.

Every view works on the candidate of the session or token, never on an ID
from the URL or the body.
"""
from __future__ import annotations

from flask import Flask

from . import api, pages


def install(app: Flask) -> None:
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
