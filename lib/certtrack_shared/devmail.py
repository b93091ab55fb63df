"""The development mailbox: a copy of every mail sent, kept as a Maildir.

In development mode the mail provider of every service files each message it
sends here, and the gateway reads it for `/dev/mail`. A Maildir needs no
server and is safe for several writer processes at once.
"""
from __future__ import annotations

import email.generator
import email.policy
import email.utils
import heapq
import itertools
import mailbox
import os
import re
import socket
import time
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
        """File the mail as Maildir does (written under tmp/, then renamed into
        new/, named as `_FILED_AT` reads), without `mailbox.Maildir.add`'s
        fsync: this is a development copy, and its fsync and folder checks
        were a third of a busy service's time spent on mail."""
        if self.path not in _READY:
            self._box()
            _READY.add(self.path)
        try:
            self._file(message)
        except FileNotFoundError:
            # The mailbox was removed since (a developer emptying var/): make it
            # again rather than fail a mail the server has already taken.
            self._box()
            self._file(message)

    def _file(self, message: EmailMessage) -> None:
        now = time.time()
        name = f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_FILED)}.{_HOST}"
        filing = os.path.join(self.path, "tmp", name)
        with open(filing, "xb") as file:
            email.generator.BytesGenerator(file, mangle_from_=False, maxheaderlen=0).flatten(message)
        os.rename(filing, os.path.join(self.path, "new", name))

    def messages(self, limit: int = 200) -> list[dict]:
        """Newest first, each as the `/dev/mail.json` shape of CONTRACTS.md.

        Pages and tests poll this while mail keeps coming, and a developer's
        mailbox holds thousands: only the newest files are read (a file is
        written when its mail is sent), and each mail is parsed once per
        process, since a Maildir never changes a mail it holds."""
        self._box()
        # Files written within the same instant may be a little out of order: read a margin more.
        wanted = limit + READ_MARGIN
        files = [file for sub in ("new", "cur")
                 for file in _newest_files(os.path.join(self.path, sub), wanted)]
        newest = heapq.nlargest(wanted, files)
        parsed = [dict(mail) for _, path in newest if (mail := _parsed(path)) is not None]
        parsed.sort(key=lambda item: item["sent_at"], reverse=True)
        return parsed[:limit]

    def clear(self) -> None:
        box = self._box()
        for key in list(box.keys()):
            box.discard(key)


READ_MARGIN = 50
# Mailboxes whose folders this process has made sure of, and what makes
# each filed name unique (as mailbox.Maildir: its host, process and count).
_READY: set[str] = set()
_FILED = itertools.count(1)
_HOST = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
# mailbox.Maildir names a mail `<seconds>.M<microseconds>P<pid>Q<n>.<host>`
# when it files it: the newest mails are found by name, with no stat() per
# file (100,000 of them took most of a second).
_FILED_AT = re.compile(r"(\d+)\.M(\d+)P")


def _newest_files(folder: str, count: int) -> list[tuple[int, str]]:
    """(filed at, path) of at least the `count` newest mails in `folder`.

    Names begin with the second they were filed in, ten digits wide, so the
    newest are the greatest names, compared as strings (in C, not per file
    in Python); within one second they may compare out of order, so every
    mail of the oldest second kept is kept too.
    """
    names = [name for name in os.listdir(folder) if not name.startswith(".")]
    if len(names) > count:
        oldest_second = heapq.nlargest(count, names)[-1].split(".", 1)[0]
        names = [name for name in names if name >= oldest_second]
    return [(_filed_at(folder, name), os.path.join(folder, name)) for name in names]


def _filed_at(folder: str, name: str) -> int:
    """When the mail was filed, in nanoseconds: from its name, else its file's mtime."""
    found = _FILED_AT.match(name)
    if found is not None:
        return int(found[1]) * 1_000_000_000 + int(found[2]) * 1000
    try:
        return os.stat(os.path.join(folder, name)).st_mtime_ns
    except FileNotFoundError:  # removed since the folder was listed
        return 0


_PARSED_LIMIT = 5000
_parsed_by_name: dict[str, dict] = {}


def _parsed(path: str) -> dict | None:
    """The mail at `path` as JSON; None when it was removed since the folder was listed."""
    # A mail moved from new/ to cur/ keeps its name up to the ":" of its flags.
    name = os.path.basename(path).split(":", 1)[0]
    found = _parsed_by_name.get(name)
    if found is None:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return None
        found = _as_json(email.message_from_bytes(raw, policy=email.policy.default))
        if len(_parsed_by_name) >= _PARSED_LIMIT:
            _parsed_by_name.clear()
        _parsed_by_name[name] = found
    return found


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
