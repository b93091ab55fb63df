"""Domain errors of the fulfillment service (listed in expected_exceptions)."""


class FulfillmentError(Exception):
    """Base of every error the fulfillment service reports to its callers."""
