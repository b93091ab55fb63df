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


def file_as(box_folder, name: str, message: EmailMessage) -> None:
    """A mail filed under a Maildir name of our choosing (`<seconds>.M<microseconds>P…`)."""
    (box_folder / "new" / name).write_bytes(message.as_bytes())


def test_a_mail_filed_a_little_out_of_order_is_still_placed_by_when_it_was_sent(tmp_path):
    folder = tmp_path / "devmail"
    DevMailbox(str(folder)).messages()
    for number in range(300):
        file_as(folder, f"{1796600000 + number}.M0P1Q{number}.host", mail(number))
    # The newest mail filed before a few dozen others (two services filing at once).
    file_as(folder, f"{1796600000 + 270}.M500P2Q1.host", mail(300))

    assert DevMailbox(str(folder)).messages(limit=1)[0]["subject"] == "Mail 300"


def test_mails_of_one_busy_second_come_newest_first_though_their_names_sort_otherwise(tmp_path):
    # Within one second the names compare as text: M99999 after M100000. A
    # vendor's import mails hundreds in one second, more than are read.
    folder = tmp_path / "devmail"
    DevMailbox(str(folder)).messages()
    for number in range(10):
        file_as(folder, f"1796599999.M{number}P1Q{number}.host", mail(number))
    for number in range(10, 400):
        file_as(folder, f"1796600000.M{number * 2500}P1Q{number}.host", mail(number))

    newest = DevMailbox(str(folder)).messages(limit=5)

    assert [m["subject"] for m in newest] == [f"Mail {n}" for n in (399, 398, 397, 396, 395)]


def test_a_mail_under_a_name_of_another_kind_is_placed_by_its_file_time(tmp_path):
    folder = tmp_path / "devmail"
    DevMailbox(str(folder)).messages()
    for number in range(300):
        file_as(folder, f"{1796600000 + number}.M0P1Q{number}.host", mail(number))
    file_as(folder, "imported-by-hand", mail(300))
    os.utime(folder / "new" / "imported-by-hand", (1796600000 + 1000,) * 2)

    assert DevMailbox(str(folder)).messages(limit=1)[0]["subject"] == "Mail 300"


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


def test_a_mailbox_removed_while_the_process_runs_is_made_again_for_the_next_mail(tmp_path):
    import shutil

    box = DevMailbox(str(tmp_path / "devmail"))
    box.keep(mail(1))
    shutil.rmtree(tmp_path / "devmail")  # a developer emptying var/ under a running stack
    box.keep(mail(2))
    assert [m["subject"] for m in box.messages()] == ["Mail 2"]
