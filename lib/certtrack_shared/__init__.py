"""What every CertTrack service shares: event contracts, broker topology and
the Nameko dependency providers that make consumption reliable.

Nothing domain-specific lives here; a rule belongs to the service that owns it.
"""
