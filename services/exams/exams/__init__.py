"""Exams: vendor result ingestion, testing history, exam agreements."""
