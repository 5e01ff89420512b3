"""Print Management pages under /o/<org_id>/print/, one module per area."""
