"""The CertTrack gateway: the candidate site and the JSON API in one Flask app.

It owns no data. Every question goes to a service over Nameko RPC, every
error comes back in the one shape of CONTRACTS.md §5.
"""
