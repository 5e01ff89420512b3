"""Account Management: organizations, users, groups, roles, dashboards (and later printer login,
applications and federation)."""
