"""The development mailbox (`/dev/mail`, `/dev/mail.json`) answers with the newest
mails whatever the mailbox holds, and what one reader does to a mail it got is
not what the next reader sees."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from certtrack_shared.devmail import DevMailbox

pytestmark = pytest.mark.unit

START = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def mail(number: int) -> EmailMessage:
    message = EmailMessage()
    message["To"] = f"candidate{number}@example.com"
    message["Subject"] = f"Mail {number}"
    message["X-CertTrack-Sent-At"] = (START + timedelta(seconds=number)).isoformat()
    message.set_content(f"Mail number {number}")
    return message


def test_the_newest_mails_come_first_from_a_full_mailbox(tmp_path):
    box = DevMailbox(str(tmp_path / "devmail"))
    for number in range(400):
        box.keep(mail(number))

    newest = box.messages(limit=5)

    assert [m["subject"] for m in newest] == [f"Mail {n}" for n in (399, 398, 397, 396, 395)]
    assert newest[0]["to"] == ["candidate399@example.com"] and newest[0]["text"].strip() == "Mail number 399"
    assert len(box.messages()) == 200


def test_a_mail_filed_a_little_out_of_order_is_still_placed_by_when_it_was_sent(tmp_path):
    box = DevMailbox(str(tmp_path / "devmail"))
    for number in range(300):
        box.keep(mail(number))
    # The newest mail's file written before a few dozen others (two services filing at once).
    late = sorted(os.scandir(tmp_path / "devmail" / "new"), key=lambda e: e.stat().st_mtime_ns)
    newest_file = next(e for e in late if "Mail 299" in open(e.path).read())
    os.utime(newest_file.path, ns=(late[-30].stat().st_mtime_ns - 1,) * 2)

    assert box.messages(limit=1)[0]["subject"] == "Mail 299"


def test_what_one_reader_adds_to_a_mail_is_not_shown_to_the_next(tmp_path):
    box = DevMailbox(str(tmp_path / "devmail"))
    box.keep(mail(1))
    first = box.messages()
    first[0]["links"] = ["http://example.com"]  # as the /dev/mail page does

    assert "links" not in box.messages()[0]


def test_a_cleared_mailbox_answers_nothing(tmp_path):
    box = DevMailbox(str(tmp_path / "devmail"))
    box.keep(mail(1))
    assert box.messages()
    box.clear()
    assert box.messages() == []
