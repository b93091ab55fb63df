"""Each service's published RPC models: the requests and replies another part of
CertTrack (today the gateway) reads or sends, defined once by the service that
owns them.

`interfaces/<service>.py` holds the models of that service's interface; the
service's own `schemas.py` imports them from here (and keeps what only it
uses), so the rule the service checks is the rule its callers see. The gateway
imports them instead of copying them; where it shows a candidate less than the
service answers, it uses the published base class that stops there (e.g.
`CandidateOrder` below `OrderView`), never a copy with fields removed.

Event payloads are not here: they are the versioned contracts of
`certtrack_shared.contracts`.
"""
