"""The fulfillment rules, as plain functions with explicit dependencies.

Each function takes what it uses — `session` (SQLAlchemy), `outbox`
(`.publish(event)`, `.mail(mail)`), `processor` (`fulfillment.payments`),
`now` — and the request; none talks to the broker, the payment processor's
network or the system time itself. `fulfillment.service` hands every
entrypoint to one of them.

- `kits`: what a candidate may claim or buy (projections of certs' and identity's events)
- `orders`: claims and purchases become orders: pricing, payment, numbering, cancelling
- `addresses`: shipping addresses, checked per country (used by `orders`)
- `declines`: the card-testing limit on declined payments
- `shipments`: the warehouse's answers (shipped, delivered, rejected)
- `staff`: finding orders, correcting a status by hand, refunding
"""
