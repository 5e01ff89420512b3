"""Template tags of Fleet Management."""
