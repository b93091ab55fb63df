"""Following one vendor event (or one site request) through every service.

- `correlation.py`: the correlation id, carried in message headers
  (`x-certtrack-correlation-id`) and in RPC context data, and bound to the
  greenthread or thread doing the work;
- `logs.py`: log lines as JSON, each with the correlation id of the work
  that wrote it, so one grep for an id shows the whole path;
- `spans.py`: OpenTelemetry spans, exported over OTLP only when
  `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
- `worker.py`: what every service worker does with them (the `Database`
  provider calls it, as it calls the metrics).

Decision 0033 says why it is built this way.
"""
