"""Domain errors of the transcripts service (listed in expected_exceptions)."""


class TranscriptsError(Exception):
    """Base of every error the transcripts service reports to its callers."""
