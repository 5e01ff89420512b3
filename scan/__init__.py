"""Scan Management portal (built in later issues)."""
