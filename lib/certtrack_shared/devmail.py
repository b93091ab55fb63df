"""The development mailbox: a copy of every mail sent, kept as a Maildir.

In development mode the mail provider of every service files each message it
sends here, and the gateway reads it for `/dev/mail`. A Maildir needs no
server and is safe for several writer processes at once.
"""
from __future__ import annotations

import email.policy
import email.utils
import mailbox
import os
from datetime import datetime, timezone
from email.message import EmailMessage


class DevMailbox:
    def __init__(self, path: str):
        self.path = path

    def _box(self) -> mailbox.Maildir:
        # Maildir creates tmp/new/cur only when it creates the folder itself.
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        box = mailbox.Maildir(self.path, factory=None, create=True)
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.path, sub), exist_ok=True)
        return box

    def keep(self, message: EmailMessage) -> None:
        self._box().add(message)

    def messages(self, limit: int = 200) -> list[dict]:
        """Newest first, each as the `/dev/mail.json` shape of CONTRACTS.md."""
        box = self._box()
        parsed = []
        for key in box.keys():
            with box.get_file(key) as handle:
                raw = handle.read()
            message = email.message_from_bytes(raw, policy=email.policy.default)
            parsed.append(_as_json(message))
        parsed.sort(key=lambda item: item["sent_at"], reverse=True)
        return parsed[:limit]

    def clear(self) -> None:
        box = self._box()
        for key in list(box.keys()):
            box.discard(key)


def _as_json(message: EmailMessage) -> dict:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    precise = message["X-CertTrack-Sent-At"]
    if precise:
        sent_at = datetime.fromisoformat(str(precise))
    elif message["Date"]:
        sent_at = email.utils.parsedate_to_datetime(message["Date"])
    else:
        sent_at = datetime.fromtimestamp(0, timezone.utc)
    return {
        "to": [address.strip() for address in str(message["To"] or "").split(",") if address.strip()],
        "subject": str(message["Subject"] or ""),
        "text": text_part.get_content() if text_part else "",
        "html": html_part.get_content() if html_part else "",
        "sent_at": sent_at.astimezone(timezone.utc).isoformat(),
    }
