"""An OTLP/HTTP collector for tests: a real HTTP server decoding what an
OpenTelemetry exporter posts to /v1/traces."""
from __future__ import annotations

import gzip
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest, ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

DECOMPRESS = {"gzip": gzip.decompress, "deflate": zlib.decompress, "": bytes}


def attributes_of(attributes) -> dict:
    return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in attributes}


class Collector:
    """An OTLP/HTTP receiver: keeps every span posted to /v1/traces with its resource's attributes."""

    def __init__(self):
        self.requests = 0
        self.spans: list[tuple[dict, Span]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = DECOMPRESS[self.headers.get("Content-Encoding", "")](body)
                collector.requests += 1
                if self.path == "/v1/traces":
                    for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
                        resource = attributes_of(resource_spans.resource.attributes)
                        collector.spans.extend((resource, span) for scope in resource_spans.scope_spans
                                               for span in scope.spans)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()

    def span(self, name: str) -> tuple[dict, Span]:
        found = [entry for entry in self.spans if entry[1].name == name]
        assert len(found) == 1, [entry[1].name for entry in self.spans]
        return found[0]
