"""Transcripts: transcripts, sharing, third-party verification."""
