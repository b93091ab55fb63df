#!/usr/bin/env python3
"""Development mailbox benchmark (`make bench BENCH=devmail`): prints figures, asserts nothing.

`/dev/mail.json` (and the `/dev/mail` page) answer from `DevMailbox.messages()`:
the newest 200 mails of a Maildir that every service of `make run` files a
copy of each mail into, and that only grows. This fills a Maildir with
--count mails (default 100,000, each a rendered two-part mail as the
services send) and times `messages()`:

- cold: a fresh process, nothing parsed yet (the first request a gateway
  worker answers after it starts);
- warm: the same process again, --repeats times (every later request, while
  mail keeps coming: each new mail is parsed once);
- one new mail: a mail filed between two requests.

Target (issue 18, P4): under 100 ms with 100,000 mails.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "lib")]

from certtrack_shared.devmail import DevMailbox  # noqa: E402
from certtrack_shared.mail import Mail, build_message  # noqa: E402


def mail(index: int):
    rendered = Mail(mail_id=f"mail-bench-{index}", to=[f"candidate{index}@example.com"],
                    subject=f"Your exam results are available ({index})",
                    text="Hello,\n\nnew exam results are in your Testing History.\n" * 4,
                    html="<p>Hello,</p><p>new exam results are in your Testing History.</p>" * 4)
    return build_message(rendered, "CertTrack <no-reply@example.org>", datetime.now(timezone.utc))


def fill(folder: str, count: int) -> float:
    """`count` mails in the folder as `DevMailbox.keep` files them (Maildir
    names `<seconds>.M<microseconds>P<pid>Q<n>.<host>` in new/), one per
    millisecond of a past day, written directly: filing 100,000 through
    `mailbox.Maildir` takes minutes, and only reading is measured."""
    started = time.monotonic()
    DevMailbox(folder).messages()  # makes the folder
    first = int(time.time()) - 86_400
    template = mail(0).as_bytes()  # rendered once: each file differs in its subject
    for index in range(count):
        at = first * 1_000_000 + index * 1000
        name = f"{at // 1_000_000}.M{at % 1_000_000}P4242Q{index}.bench"
        Path(folder, "new", name).write_bytes(template.replace(b"available (0)", f"available ({index})".encode()))
    return time.monotonic() - started


def timed(folder: str, repeats: int) -> None:
    """In this process: cold once, then warm, then after one new mail."""
    box = DevMailbox(folder)
    started = time.perf_counter()
    newest = box.messages()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeats):
        started = time.perf_counter()
        box.messages()
        warm.append(time.perf_counter() - started)
    box.keep(mail(-1))
    started = time.perf_counter()
    after_new = box.messages()
    one_new = time.perf_counter() - started
    assert after_new[0]["subject"].endswith("(-1)") and len(newest) == 200
    warm.sort()
    print(f"  cold (fresh process): {cold * 1000:.0f} ms")
    print(f"  warm: p50 {statistics.median(warm) * 1000:.1f} ms, "
          f"p95 {warm[int(len(warm) * 0.95) - 1] * 1000:.1f} ms over {repeats}")
    print(f"  after one new mail: {one_new * 1000:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child process: time this folder
    args = parser.parse_args()
    if args.measure:
        timed(args.measure, args.repeats)
        return 0
    with tempfile.TemporaryDirectory(prefix="certtrack-bench-devmail-") as folder:
        maildir = str(Path(folder) / "devmail")
        seconds = fill(maildir, args.count)
        print(f"development mailbox with {args.count:,} mails (filled in {seconds:.0f} s):")
        subprocess.run([sys.executable, __file__, "--measure", maildir,
                        "--repeats", str(args.repeats)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
