"""Certifications: the candidate's standing in each certification, the
certification agreement, downloads (logos, PDF certificate), continuing
education, and the public verification of a certificate.

- `pages`: `/certifications`, `/certifications/<id>` and its downloads,
  accepting the agreement;
- `continuing_education`: `/continuing-education` (balances, activities, submitting one);
- `api`: `/api/v1/me/certifications…`, `/api/v1/me/continuing-education`,
  `/api/v1/me/certification-agreement` (bearer token);
- `verify`: `/verify/certificate/<code>` and `/api/v1/verify/certificate/<code>` (public);
- `badges`: the Digital Badges page and its downloads (`/certifications/<id>/badge.<format>`);
- `credentials`: the badges' public documents under `/credentials/issuers/<program>` (issuer
  profile, keys, achievements and images, revocation status lists);
- `credential_verification`: `/verify/credential` and `POST /api/v1/credentials/verify` (public);
- `client`: how these call the certs service; `documents`: binary replies as downloads.

Every candidate view calls the certs service with the candidate of the
session or token, never with an ID from the URL or the body: the only IDs a
URL carries are catalog certification IDs, the same for every candidate.
"""
from __future__ import annotations

from flask import Flask

from . import api, badges, continuing_education, credential_verification, credentials, pages, verify


def install(app: Flask) -> None:
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(continuing_education.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(verify.blueprint)
    app.register_blueprint(badges.blueprint)
    app.register_blueprint(credentials.blueprint)
    app.register_blueprint(credential_verification.blueprint)
