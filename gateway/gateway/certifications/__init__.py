"""Certifications: the candidate's standing in each certification, the
certification agreement, downloads (logos, PDF certificate), continuing
education, and the public verification of a certificate.

- `pages`: `/certifications`, `/certifications/<id>` and its downloads,
  accepting the agreement;
- `continuing_education`: `/continuing-education` (balances, activities, submitting one);
- `api`: `/api/v1/me/certifications…`, `/api/v1/me/continuing-education`,
  `/api/v1/me/certification-agreement` (bearer token);
- `verify`: `/verify/certificate/<code>` and `/api/v1/verify/certificate/<code>` (public);
- `client`: how these call the certs service; `documents`: binary replies as downloads.

Every candidate view calls the certs service with the candidate of the
session or token, never with an ID from the URL or the body: the only IDs a
URL carries are catalog certification IDs, the same for every candidate.
"""
from __future__ import annotations

from flask import Flask

from . import api, continuing_education, pages, verify


def install(app: Flask) -> None:
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(continuing_education.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(verify.blueprint)
