"""Domain errors of the exams service (listed in expected_exceptions)."""


class ExamsError(Exception):
    """Base of every error the exams service reports to its callers."""
