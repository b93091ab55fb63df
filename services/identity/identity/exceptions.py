"""Domain errors of the identity service (listed in expected_exceptions)."""


class IdentityError(Exception):
    """Base of every error the identity service reports to its callers."""
