"""Indexes for reading many stations at once (issue 18: the street and district dashboards, the
reports for many stations, docs/scale.md).

- Cases received in a period, per station: the oversight figures (council.oversight.figures)
  count them by state, deadline and closing. On PostgreSQL the index carries the columns those
  counts read (INCLUDE), so a district's year is an index-only scan; SQLite (one station) gets
  the plain key.
- Cases closed in a period, per station (the reception-day totals).
- Ratings by the time given, with the case and the rating (the monthly station report; the
  dashboards' ratings, read from this index alone).
"""

ID = "0019_oversight"

COVERED = '("id", "kind", "state", "due_date", "closed_at", "close_minutes", "category", "community")'


def statements(engine_type: str) -> list[str]:
    received = 'CREATE INDEX "ix_case_station_created_at" ON "case_file" ("station", "created_at")'
    if engine_type == "postgres":
        received += f" INCLUDE {COVERED}"
    return [
        received,
        'CREATE INDEX "ix_case_station_closed_at" ON "case_file" ("station", "closed_at")',
        'CREATE INDEX "ix_case_rating_created_at" ON "case_rating" ("created_at", "case", "rating")',
    ]
