"""Print Management API under /api/v1/organizations/{org_id}/print/ (session or token users, through the gate)."""
