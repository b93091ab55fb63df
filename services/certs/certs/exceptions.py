"""Domain errors of the certs service (listed in expected_exceptions)."""


class CertsError(Exception):
    """Base of every error the certs service reports to its callers."""
