"""Prometheus metrics of a service process (docs/decisions/0030-metrics.md).

- `series.py`: the counters and histograms, and the calls our entrypoints
  and the Database provider make to move them;
- `state.py`: gauges read at scrape time from the service's database and
  its pool (outbox backlog and oldest row, dead letters held);
- `endpoint.py`: `MetricsEndpoint`, the extension that serves them on
  `METRICS_PORT`, which the `Database` provider brings into every service.

The gateway's request metrics are its own (gateway/gateway/metrics.py).
"""
from certtrack_shared.metrics.endpoint import MetricsEndpoint, serving_port
from certtrack_shared.metrics.series import (
    message_settled,
    worker_finished,
    worker_started,
)
from certtrack_shared.metrics.state import forget_database, watch_database

__all__ = [
    "MetricsEndpoint", "serving_port", "message_settled", "worker_finished",
    "worker_started", "forget_database", "watch_database",
]
