"""REST API of Account Management (/api/v1/)."""
