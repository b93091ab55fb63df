"""Log lines as JSON, one object per line, each naming its correlation.

Every CertTrack process logs through `formatter()` (the services' LOGGING
config, the gateway's gunicorn config): `LOG_FORMAT=json` (the default) for
a log collector, `LOG_FORMAT=plain` for a person reading a terminal. Both put
the current correlation id (`correlation.py`) on every line, so
`grep <id> var/log/*.log` shows one vendor result's whole path.

A JSON line holds `time` (UTC, ISO 8601), `level`, `service`, `logger`,
`message`, `correlation_id` when the line was written on some work's behalf,
whatever `extra=` the call passed (`event_id`, `queue`, …) and `exc_info`
with the traceback of an error.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from pythonjsonlogger.json import JsonFormatter

from certtrack_shared.tracing import correlation

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


class CorrelatedJsonFormatter(JsonFormatter):
    def __init__(self, service: str):
        super().__init__("%(levelname)s %(name)s %(message)s",
                         rename_fields={"levelname": "level", "name": "logger"},
                         static_fields={"service": service}, json_ensure_ascii=False)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_record["time"] = datetime.fromtimestamp(record.created, timezone.utc).isoformat(
            timespec="milliseconds")
        super().add_fields(log_record, record, message_dict)
        correlation_id = getattr(record, "correlation_id", None) or correlation.current()
        if correlation_id:
            log_record["correlation_id"] = correlation_id


class CorrelatedPlainFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = correlation.current() or "-"
        return super().format(record)


def formatter(service: str, style: str = "json") -> logging.Formatter:
    """The formatter for `service`'s log (`style`: json or plain); as a
    dictConfig factory: `{"()": "certtrack_shared.tracing.logs.formatter", ...}`."""
    if str(style).strip().lower() == "plain":
        return CorrelatedPlainFormatter()
    return CorrelatedJsonFormatter(service)
