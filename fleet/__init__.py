"""Fleet Management portal (built in later issues)."""
