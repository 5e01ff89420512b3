"""Fleet Management pages, one module per area."""
