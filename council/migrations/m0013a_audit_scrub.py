"""The audit log may be scrubbed, and only scrubbed (PIPL deletion: anonymising a resident).

audit_entry.scrubbed_at marks an entry whose stored values had personal data erased. The
append-only triggers are replaced by ones that still refuse every DELETE and every UPDATE,
except one that sets scrubbed_at and leaves when, who, where, what action on which entity and
the address exactly as they were: the log keeps that a change happened and by whom."""

ID = "0013a_audit_scrub"

SQLITE_KEEPS = (
    'NEW."scrubbed_at" IS NOT NULL AND NEW."id" = OLD."id" AND NEW."at" = OLD."at" '
    'AND NEW."actor" IS OLD."actor" AND NEW."actor_label" = OLD."actor_label" AND NEW."station" IS OLD."station" '
    'AND NEW."action" = OLD."action" AND NEW."entity_type" = OLD."entity_type" '
    'AND NEW."entity_id" IS OLD."entity_id" AND NEW."ip" = OLD."ip"'
)
PG_KEEPS = (
    'NEW."scrubbed_at" IS NOT NULL AND NEW."id" = OLD."id" AND NEW."at" = OLD."at" '
    'AND NEW."actor" IS NOT DISTINCT FROM OLD."actor" AND NEW."actor_label" = OLD."actor_label" '
    'AND NEW."station" IS NOT DISTINCT FROM OLD."station" AND NEW."action" = OLD."action" '
    'AND NEW."entity_type" = OLD."entity_type" AND NEW."entity_id" IS NOT DISTINCT FROM OLD."entity_id" '
    'AND NEW."ip" = OLD."ip"'
)


def statements(engine_type: str) -> list[str]:
    add = 'ALTER TABLE "audit_entry" ADD COLUMN "scrubbed_at" TIMESTAMPTZ DEFAULT null'
    if engine_type == "postgres":
        return [
            add,
            "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN IF TG_OP = 'UPDATE' AND {PG_KEEPS} THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'audit log is append-only'; END $$",
        ]
    return [
        add,
        'DROP TRIGGER "audit_entry_no_update"',
        f'CREATE TRIGGER "audit_entry_no_update" BEFORE UPDATE ON "audit_entry" WHEN NOT ({SQLITE_KEEPS}) '
        "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
    ]
