"""A local payment sandbox: the stand-in for a card processor's test mode.

CertTrack never receives a card number or CVC (docs/decisions/0017): the
checkout page sends the card from the browser to this sandbox, which answers
a `pm_…` token; the fulfillment service charges that token here, server to
server, with an idempotency key (fulfillment/payments.py,
SandboxPaymentProcessor). It plays the processor's part as
deploy/warehouse_simulator.py plays the warehouse's: not part of CertTrack's
card-data scope, and not for production, where a real processor takes its
place. Run it with `python -m payment_sandbox` (with deploy/ on PYTHONPATH);
see `__main__.py` for its settings and `app.py` for its API.
"""
