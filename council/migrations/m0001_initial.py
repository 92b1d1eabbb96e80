"""The initial schema: places, people, parties, stations, accounts and the audit log.

The CREATE TABLE statements were generated from the Piccolo tables as they stood when this
migration was written and are kept here literally, so that later edits to a table class
never change what an old migration does.
"""

ID = "0001_initial"

TABLES = {
    "sqlite": [
    'CREATE TABLE "street" ("id" INTEGER PRIMARY KEY NOT NULL, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "district" VARCHAR(100) NOT NULL DEFAULT \'\', "city" VARCHAR(100) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "community" ("id" INTEGER PRIMARY KEY NOT NULL, "street" INTEGER NOT NULL REFERENCES "street" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "estate" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "address" VARCHAR(200) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "building" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "number" VARCHAR(40) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "unit" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "building" INTEGER NOT NULL REFERENCES "building" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "number" VARCHAR(40) NOT NULL DEFAULT \'\', "area_m2" NUMERIC(10, 2) NOT NULL DEFAULT 0, "area_source" VARCHAR(20) NOT NULL DEFAULT \'registered\', "developer_unsold" BOOLEAN NOT NULL DEFAULT false, "version" INTEGER NOT NULL DEFAULT 1, "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "grid" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "kind" VARCHAR(20) NOT NULL DEFAULT \'grid\', "parent" INTEGER REFERENCES "grid" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "grid_building" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "grid" INTEGER NOT NULL REFERENCES "grid" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "building" INTEGER NOT NULL REFERENCES "building" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "person" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "id_number" VARCHAR(18) NOT NULL DEFAULT \'\', "note" TEXT NOT NULL DEFAULT \'\', "anonymised_at" TIMESTAMPTZ DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "ownership" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "unit" INTEGER NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "is_representative" BOOLEAN NOT NULL DEFAULT true, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "residence" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "unit" INTEGER NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "relation" VARCHAR(20) NOT NULL DEFAULT \'head\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "organisation" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "kind" VARCHAR(30) NOT NULL DEFAULT \'\', "name" VARCHAR(120) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "working_hours" JSON NOT NULL DEFAULT \'[]\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "contact_person" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "organisation" INTEGER NOT NULL REFERENCES "organisation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "title" VARCHAR(100) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "station" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(120) NOT NULL DEFAULT \'\', "address" VARCHAR(200) NOT NULL DEFAULT \'\', "case_prefix" VARCHAR(20) NOT NULL DEFAULT \'\', "reception_weekday" INTEGER NOT NULL DEFAULT 4, "reception_start" TIME NOT NULL DEFAULT CURRENT_TIME, "reception_end" TIME NOT NULL DEFAULT CURRENT_TIME, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "station_estate" ("id" INTEGER PRIMARY KEY NOT NULL, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "room" ("id" INTEGER PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "capacity" INTEGER NOT NULL DEFAULT 10, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "app_user" ("id" INTEGER PRIMARY KEY NOT NULL, "username" VARCHAR(60) UNIQUE NOT NULL DEFAULT \'\', "display_name" VARCHAR(100) NOT NULL DEFAULT \'\', "password_hash" VARCHAR(200) NOT NULL DEFAULT \'\', "role" VARCHAR(30) NOT NULL DEFAULT \'\', "organisation" INTEGER REFERENCES "organisation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "locale" VARCHAR(10) NOT NULL DEFAULT \'\', "is_active" BOOLEAN NOT NULL DEFAULT true, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "user_station" ("id" INTEGER PRIMARY KEY NOT NULL, "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null)',
    'CREATE TABLE "user_session" ("id" INTEGER PRIMARY KEY NOT NULL, "token_hash" VARCHAR(64) UNIQUE NOT NULL DEFAULT \'\', "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "api_token" ("id" INTEGER PRIMARY KEY NOT NULL, "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "prefix" VARCHAR(12) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) UNIQUE NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "last_used_at" TIMESTAMPTZ DEFAULT null, "revoked_at" TIMESTAMPTZ DEFAULT null)',
    'CREATE TABLE "audit_entry" ("id" INTEGER PRIMARY KEY NOT NULL, "at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "actor" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "actor_label" VARCHAR(100) NOT NULL DEFAULT \'\', "station" INTEGER REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "action" VARCHAR(60) NOT NULL DEFAULT \'\', "entity_type" VARCHAR(40) NOT NULL DEFAULT \'\', "entity_id" INTEGER DEFAULT null, "before" JSON DEFAULT null, "after" JSON DEFAULT null, "ip" VARCHAR(45) NOT NULL DEFAULT \'\')',
    ],
    "postgres": [
    'CREATE TABLE "street" ("id" SERIAL PRIMARY KEY NOT NULL, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "district" VARCHAR(100) NOT NULL DEFAULT \'\', "city" VARCHAR(100) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "community" ("id" SERIAL PRIMARY KEY NOT NULL, "street" INTEGER NOT NULL REFERENCES "street" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "estate" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "address" VARCHAR(200) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "building" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "number" VARCHAR(40) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "unit" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "building" INTEGER NOT NULL REFERENCES "building" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "number" VARCHAR(40) NOT NULL DEFAULT \'\', "area_m2" NUMERIC(10, 2) NOT NULL DEFAULT 0, "area_source" VARCHAR(20) NOT NULL DEFAULT \'registered\', "developer_unsold" BOOLEAN NOT NULL DEFAULT false, "version" INTEGER NOT NULL DEFAULT 1, "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "grid" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "kind" VARCHAR(20) NOT NULL DEFAULT \'grid\', "parent" INTEGER REFERENCES "grid" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "grid_building" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "grid" INTEGER NOT NULL REFERENCES "grid" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "building" INTEGER NOT NULL REFERENCES "building" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "person" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "id_number" VARCHAR(18) NOT NULL DEFAULT \'\', "note" TEXT NOT NULL DEFAULT \'\', "anonymised_at" TIMESTAMPTZ DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "ownership" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "unit" INTEGER NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "is_representative" BOOLEAN NOT NULL DEFAULT true, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "residence" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "unit" INTEGER NOT NULL REFERENCES "unit" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER NOT NULL REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "relation" VARCHAR(20) NOT NULL DEFAULT \'head\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "organisation" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "kind" VARCHAR(30) NOT NULL DEFAULT \'\', "name" VARCHAR(120) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "working_hours" JSON NOT NULL DEFAULT \'[]\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "contact_person" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "organisation" INTEGER NOT NULL REFERENCES "organisation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "title" VARCHAR(100) NOT NULL DEFAULT \'\', "phone" VARCHAR(20) NOT NULL DEFAULT \'\', "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "station" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(120) NOT NULL DEFAULT \'\', "address" VARCHAR(200) NOT NULL DEFAULT \'\', "case_prefix" VARCHAR(20) NOT NULL DEFAULT \'\', "reception_weekday" INTEGER NOT NULL DEFAULT 4, "reception_start" TIME NOT NULL DEFAULT CURRENT_TIME, "reception_end" TIME NOT NULL DEFAULT CURRENT_TIME, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "station_estate" ("id" SERIAL PRIMARY KEY NOT NULL, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "estate" INTEGER NOT NULL REFERENCES "estate" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "room" ("id" SERIAL PRIMARY KEY NOT NULL, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "capacity" INTEGER NOT NULL DEFAULT 10, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "app_user" ("id" SERIAL PRIMARY KEY NOT NULL, "username" VARCHAR(60) UNIQUE NOT NULL DEFAULT \'\', "display_name" VARCHAR(100) NOT NULL DEFAULT \'\', "password_hash" VARCHAR(200) NOT NULL DEFAULT \'\', "role" VARCHAR(30) NOT NULL DEFAULT \'\', "organisation" INTEGER REFERENCES "organisation" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "person" INTEGER REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "locale" VARCHAR(10) NOT NULL DEFAULT \'\', "is_active" BOOLEAN NOT NULL DEFAULT true, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
    'CREATE TABLE "user_station" ("id" SERIAL PRIMARY KEY NOT NULL, "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null)',
    'CREATE TABLE "user_session" ("id" SERIAL PRIMARY KEY NOT NULL, "token_hash" VARCHAR(64) UNIQUE NOT NULL DEFAULT \'\', "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE TABLE "api_token" ("id" SERIAL PRIMARY KEY NOT NULL, "user" INTEGER NOT NULL REFERENCES "app_user" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "name" VARCHAR(100) NOT NULL DEFAULT \'\', "prefix" VARCHAR(12) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) UNIQUE NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "last_used_at" TIMESTAMPTZ DEFAULT null, "revoked_at" TIMESTAMPTZ DEFAULT null)',
    'CREATE TABLE "audit_entry" ("id" SERIAL PRIMARY KEY NOT NULL, "at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "actor" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "actor_label" VARCHAR(100) NOT NULL DEFAULT \'\', "station" INTEGER REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "action" VARCHAR(60) NOT NULL DEFAULT \'\', "entity_type" VARCHAR(40) NOT NULL DEFAULT \'\', "entity_id" INTEGER DEFAULT null, "before" JSON DEFAULT null, "after" JSON DEFAULT null, "ip" VARCHAR(45) NOT NULL DEFAULT \'\')',
    ],
}

# Lookups every scoped list makes, and the uniqueness the domain needs.
INDEXES = [
    'CREATE UNIQUE INDEX "ux_community_street_name" ON "community" ("street", "name")',
    'CREATE UNIQUE INDEX "ux_estate_community_name" ON "estate" ("community", "name")',
    'CREATE UNIQUE INDEX "ux_building_estate_number" ON "building" ("estate", "number")',
    'CREATE UNIQUE INDEX "ux_unit_estate_number" ON "unit" ("estate", "number")',
    'CREATE INDEX "ix_unit_community" ON "unit" ("community")',
    'CREATE INDEX "ix_unit_building" ON "unit" ("building")',
    'CREATE UNIQUE INDEX "ux_grid_building" ON "grid_building" ("grid", "building")',
    'CREATE INDEX "ix_person_community_name" ON "person" ("community", "name")',
    'CREATE UNIQUE INDEX "ux_ownership_unit_person" ON "ownership" ("unit", "person")',
    'CREATE INDEX "ix_ownership_person" ON "ownership" ("person")',
    'CREATE UNIQUE INDEX "ux_residence_unit_person" ON "residence" ("unit", "person")',
    'CREATE INDEX "ix_organisation_community" ON "organisation" ("community")',
    'CREATE UNIQUE INDEX "ux_station_case_prefix" ON "station" ("case_prefix")',
    'CREATE UNIQUE INDEX "ux_station_estate" ON "station_estate" ("station", "estate")',
    'CREATE UNIQUE INDEX "ux_room_station_name" ON "room" ("station", "name")',
    'CREATE UNIQUE INDEX "ux_user_station" ON "user_station" ("user", "station")',
    'CREATE INDEX "ix_user_session_user" ON "user_session" ("user")',
    'CREATE INDEX "ix_audit_entry_station_at" ON "audit_entry" ("station", "at")',
    'CREATE INDEX "ix_audit_entry_entity" ON "audit_entry" ("entity_type", "entity_id")',
]

# The audit log is append-only, enforced by the database itself and not only by the code.
APPEND_ONLY = {
    "sqlite": [
        'CREATE TRIGGER "audit_entry_no_update" BEFORE UPDATE ON "audit_entry" '
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
        'CREATE TRIGGER "audit_entry_no_delete" BEFORE DELETE ON "audit_entry" '
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ],
    "postgres": [
        "CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$",
        'CREATE TRIGGER "audit_entry_no_change" BEFORE UPDATE OR DELETE ON "audit_entry" '
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}


def statements(engine_type: str) -> list[str]:
    return TABLES[engine_type] + INDEXES + APPEND_ONLY[engine_type]

