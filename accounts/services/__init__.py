"""State changes of Account Management. UI views, API views, tasks and commands call these."""
