"""Internal events between CertTrack services.

Each is published by its owning service to `<service>.events` with the event
type as routing key (Nameko's convention). The body sits beside the envelope
fields rather than nested, so a consumer validates one flat model.
Later issues add the domain events (`exam_passed`, `certification_achieved`…).
"""
from __future__ import annotations

from certtrack_shared.contracts.envelope import AwareDatetime, Event


class InternalEvent(Event):
    """Envelope of internal events: adds when the fact happened."""

    occurred_at: AwareDatetime
