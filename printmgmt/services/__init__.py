"""Print Management services: the verbs of the app (submit, convert, delete, delegate, record, purge)."""
