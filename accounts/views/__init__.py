"""UI views of Account Management and the shell, one module per area."""
