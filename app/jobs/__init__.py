"""Background export jobs: procrastinate workers on PostgreSQL, in-process threads on SQLite."""
