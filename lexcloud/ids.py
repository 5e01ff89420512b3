"""Row ids sent by forms and APIs: only plain ASCII digits within a database integer are ids."""
MAX_ID = 2**63 - 1


def parse_ids(values) -> list[int]:
    """The valid ids among submitted values, in order, without duplicates; anything else is ignored
    ("²".isdigit() is True and int("9" * 30) overflows the database, so neither test alone will do)."""
    ids = []
    for value in values:
        value = str(value).strip()
        if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID and int(value) not in ids:
            ids.append(int(value))
    return ids
