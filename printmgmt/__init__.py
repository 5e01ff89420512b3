"""Print Management portal (built in later issues)."""
