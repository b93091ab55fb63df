"""The development mailbox (`/dev/mail`, `/dev/mail.json`): every mail the
system sent, so a person running CertTrack locally can follow its links.

Registered only in development mode; elsewhere these paths do not exist.
"""
from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

from certtrack_shared.devmail import DevMailbox
from flask import Blueprint, current_app, jsonify, render_template
from markupsafe import Markup, escape

blueprint = Blueprint("devmail", __name__, url_prefix="/dev")

# Trailing punctuation is usually the sentence's, not the link's.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


@blueprint.get("/mail")
def mail_page():
    messages = _mailbox().messages()
    for message in messages:
        message["links"] = links_in(message)
    response = current_app.make_response(render_template("devmail.html", messages=messages))
    # The HTML versions of mails carry their own inline styles; they are shown
    # in a sandboxed frame, which inherits this page's policy.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'self'; form-action 'self'"
    )
    return response


@blueprint.get("/mail.json")
def mail_json():
    return jsonify(_mailbox().messages())


@blueprint.app_template_filter("linkify")
def linkify(text: str) -> Markup:
    """Plain text with its http(s) URLs made into links, everything else escaped."""
    pieces, last = [], 0
    for match in _URL.finditer(text or ""):
        pieces.append(escape(text[last:match.start()]))
        url = escape(match.group())
        pieces.append(Markup(f'<a href="{url}">{url}</a>'))
        last = match.end()
    pieces.append(escape((text or "")[last:]))
    return Markup("").join(pieces)


@blueprint.app_template_filter("sent_time")
def sent_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return iso


def links_in(message: dict) -> list[str]:
    """Every distinct http(s) link of a mail, text version first."""
    found = _URL.findall(message.get("text") or "")
    collector = _LinkCollector()
    collector.feed(message.get("html") or "")
    found += collector.links
    return list(dict.fromkeys(found))


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith(("http://", "https://")):
            self.links.append(href)


def _mailbox() -> DevMailbox:
    return DevMailbox(current_app.config["DEV_MAILDIR"])
