"""Which watch rules and vocabularies are active: read from the rule files, the user's folder and the database."""
