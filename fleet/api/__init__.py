"""Fleet Management REST API."""
