"""Transcripts: the candidate's shared views of their record, and their verification.

- `pages`: the Transcripts tab (`/transcripts`): list, create, edit,
  deactivate, share (mail with preview, link, LinkedIn / Facebook / X);
- `api`: `/api/v1/me/transcripts…` (bearer token);
- `verify`: the public `/verify/<code>` page and `GET /api/v1/verify/<code>`,
  passed on to the transcripts service's own web app (`forwarding`,
  `TRANSCRIPTS_WEB_URL`), which production routes them to directly;
- `links`: the verification link and the social share URLs;
- `client`: how these call the transcripts service.

Candidate views work on the candidate of the session or token, never on an
ID from the URL or the body. Decisions: docs/decisions/0006-transcripts.md.
"""
from __future__ import annotations

from flask import Flask

from . import api, forwarding, pages, verify


def install(app: Flask) -> None:
    forwarding.install(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(verify.blueprint)
    app.register_blueprint(verify.api_blueprint)
