"""Identity documents (the ID scans of name-change tickets).

Stored behind a small interface (`save`, `load`, `delete`): the filesystem
store keeps each file under `IDENTITY_DOCUMENT_DIR` (default
`var/documents/identity`, outside any web root) with a random name and
owner-only permissions; the memory store stands in for it in unit tests.
Documents are never served publicly: staff fetch them over RPC, and they are
deleted once staff decide.

The type is recognised by the file's first bytes (PDF, JPEG, PNG), never by
its name or a declared content type; a name that claims another type is
refused too.
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from nameko.extensions import DependencyProvider
from sqlalchemy import event

from identity.exceptions import InvalidDocument

MAX_BYTES = 5 * 1024 * 1024
DEFAULT_DIR = "var/documents/identity"

# content type → (magic prefix, file name extensions that may go with it)
KINDS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
ALLOWED = "Upload a scan of your ID as a PDF, JPEG or PNG file"


def sniff(data: bytes) -> str | None:
    """The content type by magic bytes, or None when not PDF/JPEG/PNG."""
    for content_type, (magic, _extensions) in KINDS.items():
        if data.startswith(magic):
            return content_type
    return None


def clean_filename(filename: object) -> str:
    name = os.path.basename(str(filename or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[-255:] or "document"


def decode_document(document: dict) -> tuple[str, str, bytes]:
    """`{filename, data_b64}` → (filename, content type, bytes), or InvalidDocument."""
    if not isinstance(document, dict) or not isinstance(document.get("data_b64"), str):
        raise InvalidDocument(f"{ALLOWED}.")
    encoded = document["data_b64"]
    # Refuse before decoding anything far too big to be a 5 MiB file.
    if len(encoded) > (MAX_BYTES * 4) // 3 + 8:
        raise InvalidDocument(_too_big())
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidDocument("The file could not be read; please upload it again.") from None
    if not data:
        raise InvalidDocument("The file is empty.")
    if len(data) > MAX_BYTES:
        raise InvalidDocument(_too_big())
    content_type = sniff(data)
    if content_type is None:
        raise InvalidDocument(f"This file is not a PDF, JPEG or PNG. {ALLOWED}.")
    filename = clean_filename(document.get("filename"))
    extension = os.path.splitext(filename)[1].lower()
    if extension and extension not in KINDS[content_type][1]:
        raise InvalidDocument(
            f"The file's content does not match its name ({extension}). {ALLOWED}."
        )
    return filename, content_type, data


def _too_big() -> str:
    return f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; upload a smaller scan."


def when_transaction_ends(session, *, committed=None, rolled_back=None) -> None:
    """Run a file-system step once the session's transaction has ended.

    Files are not part of the database transaction: a document saved for a
    ticket that then rolls back is removed (`rolled_back`), and a document is
    deleted only once the decision about it is committed (`committed`).
    Whichever outcome comes first runs; the other then does nothing.
    """
    done = []

    def run(action):
        def listener(_session, *_args):
            if not done:
                done.append(True)
                if action is not None:
                    action()
        return listener

    event.listen(session, "after_commit", run(committed), once=True)
    event.listen(session, "after_rollback", run(rolled_back), once=True)


class DocumentStore(Protocol):
    def save(self, data: bytes) -> str: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


_KEY = re.compile(r"^[0-9a-f]{32}$")


class FileSystemDocumentStore:
    """Files named by 128 random bits, readable by the service's user only."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key or ""):
            raise ValueError("not a document key")
        return self.root / key

    def save(self, data: bytes) -> str:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_hex(16)
        fd = os.open(self._path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return key

    def load(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class MemoryDocumentStore:
    """The same interface in memory (unit tests)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}

    def save(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        self.files[key] = bytes(data)
        return key

    def load(self, key: str) -> bytes | None:
        return self.files.get(key)

    def delete(self, key: str) -> None:
        self.files.pop(key, None)


class DocumentStorage(DependencyProvider):
    """Injects the filesystem store at `IDENTITY_DOCUMENT_DIR`."""

    def setup(self):
        root = (self.container.config.get("IDENTITY_DOCUMENT_DIR")
                or os.environ.get("IDENTITY_DOCUMENT_DIR") or DEFAULT_DIR)
        self.store = FileSystemDocumentStore(root)

    def get_dependency(self, worker_ctx) -> DocumentStore:
        return self.store
