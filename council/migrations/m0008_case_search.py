"""Case search on PostgreSQL: trigram indexes so a search by number or a Latin word is an index
lookup, not a scan of every case. pg_trgm ships with PostgreSQL and is a trusted extension, so
the database owner may create it. SQLite searches stay scans (fast enough at station scale)."""

ID = "0008_case_search"


def statements(engine_type: str) -> list[str]:
    if engine_type == "sqlite":
        return []
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        'CREATE INDEX "ix_case_search_trgm" ON "case_file" USING gin '
        '("number" gin_trgm_ops, "title" gin_trgm_ops, "description" gin_trgm_ops)',
    ]
