"""Analytics portal (built in later issues)."""
