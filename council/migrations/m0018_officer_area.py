"""Officers above the stations (issue 18): a street officer, a district officer and the judicial
office (司法所) are tied to an area, not to stations. The user row carries it: a street (street
officer, a street's judicial office) or a district's name as streets carry it (district officer,
the district's judicial office). ADD COLUMN with a NULL default and a REFERENCES clause is allowed
on SQLite and PostgreSQL alike."""

ID = "0018_officer_area"


def statements(engine_type: str) -> list[str]:
    return [
        'ALTER TABLE "app_user" ADD COLUMN "area_street" INTEGER REFERENCES "street" ("id") '
        'ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null',
        'ALTER TABLE "app_user" ADD COLUMN "area_district" VARCHAR(100) NOT NULL DEFAULT \'\'',
        'CREATE INDEX "ix_app_user_area_street" ON "app_user" ("area_street")',
        # The officers' station lookup goes street → communities → stations.
        'CREATE INDEX IF NOT EXISTS "ix_street_district" ON "street" ("district")',
        'CREATE INDEX IF NOT EXISTS "ix_station_community" ON "station" ("community")',
    ]
