"""A real SMTP server (aiosmtpd) in its own process, filing mail in a Maildir.

Its own process, not a thread: the nameko test run is eventlet-patched and
aiosmtpd's asyncio loop must not run under it.
"""
from __future__ import annotations

import mailbox
import email.policy
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "SmtpServer":
        mailbox.Maildir(str(self.folder), create=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("aiosmtpd did not start")

    def messages(self) -> list:
        box = mailbox.Maildir(str(self.folder), factory=None)
        import email

        found = []
        for key in box.keys():
            with box.get_file(key) as handle:
                found.append(email.message_from_bytes(handle.read(), policy=email.policy.default))
        return found

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
