"""The transcripts service's mails, rendered from `templates/mail/` and filed
in the outbox (sent by the relay after commit, never from a worker)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from certtrack_shared import config
from certtrack_shared.mail import MailTemplates

TEMPLATES = MailTemplates(str(Path(__file__).parent / "templates" / "mail"))


def verification_link(code: str, access_code: str, site_url: str | None = None) -> str:
    """`<site>/verify/<code>?access_code=<access code>` (docs/decisions/0006-transcripts.md)."""
    site = (site_url or config.site_url()).rstrip("/")
    return f"{site}/verify/{quote(code, safe='')}?access_code={quote(access_code, safe='')}"
