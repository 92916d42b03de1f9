"""Parsers: containers -> raw events -> classified rows (Python), and the SQL fast path."""
