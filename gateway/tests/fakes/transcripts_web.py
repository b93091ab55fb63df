"""A stand-in for the transcripts web app that the tests can restart, hang or make misbehave.

It speaks HTTP/1.1 with keep-alive (as gunicorn does), records every request
it reads, and answers with `answer(path)`: (status, headers, body) or one of
`HANG` (read the request, never answer) and raw bytes (sent as they are).
`restart()` closes every connection and listens again on the same port, as
a web app that restarted between two requests.
"""
from __future__ import annotations

import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler

HANG = "hang"


class StandIn:
    def __init__(self):
        self.seen: list[dict] = []
        self.connections = 0
        self.answer = lambda path: (200, {"Content-Type": "application/json"}, b'{"verified": true}')
        self._released = threading.Event()
        self._sockets: list[socket.socket] = []
        self._server = self._listen(0)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def restart(self) -> None:
        self._stop()
        self._server = self._listen(self.port)

    def close(self) -> None:
        self._released.set()
        self._stop()

    def _stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for connection in self._sockets:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self._sockets.clear()

    def _listen(self, port: int):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                stand_in.connections += 1
                stand_in._sockets.append(self.connection)

            def do_GET(self):
                stand_in.seen.append({"path": self.path, "headers": dict(self.headers)})
                answer = stand_in.answer(self.path)
                if answer == HANG:
                    stand_in._released.wait(30)
                    return
                if isinstance(answer, bytes):
                    self.wfile.write(answer)
                    self.close_connection = True
                    return
                status, headers, body = answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            allow_reuse_address = True
            daemon_threads = True

        deadline = time.monotonic() + 10
        while True:
            try:
                server = Server(("127.0.0.1", port), Handler)
                break
            except OSError:  # the port of the stopped one, not yet free
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server
