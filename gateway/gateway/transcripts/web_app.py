"""The gateway's connection to the transcripts web app: one kept-alive HTTP connection per thread.

Each gunicorn thread of the gateway keeps its own `http.client` connection to
`TRANSCRIPTS_WEB_URL`, so a forwarded verification costs one request on an
open socket: no pool to check out of, no retry policy, no URL parsing per
request (46 % of a gateway worker's busy samples were inside urllib3's pool
manager, waiting for the answer included: docs/benchmarks.md "Verification").

A kept-alive connection the web app closed while it was idle (its keep-alive
timeout, a restart) shows as a reset or an empty answer on the next request;
that request is sent once more on a new connection. Only then: a failure on a
new connection, or any failure after the answer began, is the web app's.

Failures are the gateway's errors (errors.py): `ServiceUnreachable` (503)
when it cannot be connected to in `CONNECT_SECONDS`, `ServiceTimeout` (504)
when it does not answer in the read timeout, `ServiceAnswerMalformed` (502)
for an answer that is not HTTP or larger than `MAX_ANSWER_BYTES`.
"""
from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

from certtrack_shared.tracing import correlation

from ..errors import ServiceAnswerMalformed, ServiceTimeout, ServiceUnreachable

CONNECT_SECONDS = 2.0
# A transcript's page is tens of kilobytes; anything this large is not one.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
# What the web app decides about its answer; hop-by-hop and framing headers stay behind
# (Content-Length is passed on only with the body it describes, see `Answer`).
KEPT_HEADERS = ("Content-Type", "Cache-Control", "X-Robots-Tag", "Retry-After", "Referrer-Policy",
                "Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
_DROPPED = (ConnectionResetError, BrokenPipeError)  # http.client.RemoteDisconnected is one


def forwarded_headers(client_address: str | None, scheme: str, accept: str | None,
                      correlation_id: str | None) -> dict[str, str]:
    """What the web app is told about a request: nothing of the client's own
    headers but `Accept` (no cookie, no authorization reach it)."""
    # The gateway trusts no proxy in front of itself unless configured to
    # (ProxyFix, app.py), so the address it saw is the only X-Forwarded-For;
    # the web app trusts exactly one proxy there (TRUSTED_PROXY_COUNT=1).
    return {"X-Forwarded-For": client_address or "", "X-Forwarded-Proto": scheme,
            "Accept": accept or "*/*",
            # Its access line is then found with the gateway's (certtrack_shared/tracing).
            correlation.REQUEST_HEADER: correlation_id or ""}


class Answer:
    """The web app's answer: status line and kept headers at once, the body as it
    is read (iterate it; `close()` drops the connection if it was not read to the end)."""

    def __init__(self, response: http.client.HTTPResponse, connection: http.client.HTTPConnection):
        self.status = response.status
        self.reason = response.reason
        self.headers = [(name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers]
        length = response.getheader("Content-Length")
        if length is not None:
            if not length.isdigit() or int(length) > MAX_ANSWER_BYTES:
                connection.close()
                raise ServiceAnswerMalformed("the transcripts web app answered with an unusable length")
            self.headers.append(("Content-Length", length))
        self._response = response
        self._connection = connection

    def __iter__(self) -> Iterator[bytes]:
        read = 0
        try:
            while chunk := self._response.read1(CHUNK_BYTES):
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    raise ServiceAnswerMalformed("the transcripts web app's answer is too large")
                yield chunk
            if self._response.length:  # it closed before sending what it announced
                raise http.client.IncompleteRead(b"", self._response.length)
            self._response.close()  # read to the end: the connection serves the next request
        except TimeoutError:
            self._connection.close()
            raise ServiceTimeout("the transcripts web app stopped sending its answer") from None
        except OSError:
            self._connection.close()
            raise ServiceUnreachable("the transcripts web app dropped the connection mid-answer") from None
        except http.client.HTTPException:  # a body shorter than announced, a broken chunk
            self._connection.close()
            raise ServiceAnswerMalformed("the transcripts web app's answer broke off") from None
        except ServiceAnswerMalformed:
            self._connection.close()
            raise

    @property
    def finished(self) -> bool:
        return self._response.isclosed()

    def read(self) -> bytes:
        return b"".join(self)

    def close(self) -> None:
        if not self.finished:  # unread body left on the socket: it cannot serve again
            self._connection.close()


class WebApp:
    """`GET`s to the transcripts web app at `url`, on this thread's kept-alive connection."""

    def __init__(self, url: str, read_timeout: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"TRANSCRIPTS_WEB_URL must be an http(s) URL, not {url!r}")
        self._connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                                  else http.client.HTTPConnection)
        self._host, self._port = parts.hostname, parts.port
        self._prefix = parts.path.rstrip("/")
        self._read_timeout = read_timeout
        self._local = threading.local()

    def get(self, target: str, headers: dict[str, str]) -> Answer:
        """The answer to `GET <url><target>` (target: path and query, already quoted)."""
        connection = self._connection()
        previous = getattr(self._local, "answer", None)
        if previous is not None and not previous.finished:  # its server never read it to the end
            connection.close()
        reused = connection.sock is not None
        try:
            return self._exchange(connection, target, headers)
        except _DROPPED:
            connection.close()
            if not reused:
                raise ServiceUnreachable("the transcripts web app closed the connection") from None
        try:  # it had closed the kept-alive connection; this request never reached it
            return self._exchange(connection, target, headers)
        except _DROPPED:
            connection.close()
            raise ServiceUnreachable("the transcripts web app closed the connection") from None

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connection_class(
                self._host, self._port, timeout=CONNECT_SECONDS)
        return connection

    def _exchange(self, connection: http.client.HTTPConnection, target: str, headers: dict) -> Answer:
        if connection.sock is None:
            try:
                connection.connect()
            except OSError:  # refused, no route, connect timeout
                connection.close()
                raise ServiceUnreachable("the transcripts web app cannot be reached") from None
            connection.sock.settimeout(self._read_timeout)
        try:
            connection.request("GET", self._prefix + target, headers=headers)
            answer = self._local.answer = Answer(connection.getresponse(), connection)
            return answer
        except TimeoutError:
            connection.close()
            raise ServiceTimeout("the transcripts web app did not answer in time") from None
        except _DROPPED:
            raise
        except OSError:
            connection.close()
            raise ServiceUnreachable("the transcripts web app cannot be reached") from None
        except http.client.HTTPException:  # not an HTTP answer (RemoteDisconnected is caught above)
            connection.close()
            raise ServiceAnswerMalformed("the transcripts web app's answer is not HTTP") from None
