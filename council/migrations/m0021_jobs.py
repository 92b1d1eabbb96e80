"""Background jobs (council/jobs/tables.py): one row per piece of long work a user asked for —
voting letters for a whole electorate, a large register import, a backup. CREATE TABLE statements
generated from the table when this migration was written, kept literally (see m0001)."""

ID = "0021_jobs"

TABLES = {
    "sqlite": [
        'CREATE TABLE "job" ("id" INTEGER PRIMARY KEY NOT NULL, "kind" VARCHAR(30) NOT NULL DEFAULT \'\', "station" INTEGER REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "requested_by" INTEGER REFERENCES "app_user" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "requested_label" VARCHAR(120) NOT NULL DEFAULT \'\', "subject_id" INTEGER DEFAULT null, "params" JSON NOT NULL DEFAULT \'{}\', "state" VARCHAR(10) NOT NULL DEFAULT \'queued\', "done" INTEGER NOT NULL DEFAULT 0, "total" INTEGER NOT NULL DEFAULT 0, "message" TEXT NOT NULL DEFAULT \'\', "message_params" JSON NOT NULL DEFAULT \'{}\', "summary" JSON NOT NULL DEFAULT \'{}\', "result_key" VARCHAR(100) NOT NULL DEFAULT \'\', "result_name" VARCHAR(200) NOT NULL DEFAULT \'\', "result_media" VARCHAR(100) NOT NULL DEFAULT \'\', "result_size" INTEGER NOT NULL DEFAULT 0, "error" TEXT NOT NULL DEFAULT \'\', "claimed_by" VARCHAR(80) NOT NULL DEFAULT \'\', "claim_until_ms" INTEGER NOT NULL DEFAULT 0, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "started_at" TIMESTAMPTZ DEFAULT null, "finished_at" TIMESTAMPTZ DEFAULT null)',
    ],
    "postgres": [
        'CREATE TABLE "job" ("id" SERIAL PRIMARY KEY NOT NULL, "kind" VARCHAR(30) NOT NULL DEFAULT \'\', "station" INTEGER REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "requested_by" INTEGER REFERENCES "app_user" ("id") ON DELETE SET NULL ON UPDATE CASCADE DEFAULT null, "requested_label" VARCHAR(120) NOT NULL DEFAULT \'\', "subject_id" INTEGER DEFAULT null, "params" JSON NOT NULL DEFAULT \'{}\', "state" VARCHAR(10) NOT NULL DEFAULT \'queued\', "done" INTEGER NOT NULL DEFAULT 0, "total" INTEGER NOT NULL DEFAULT 0, "message" TEXT NOT NULL DEFAULT \'\', "message_params" JSON NOT NULL DEFAULT \'{}\', "summary" JSON NOT NULL DEFAULT \'{}\', "result_key" VARCHAR(100) NOT NULL DEFAULT \'\', "result_name" VARCHAR(200) NOT NULL DEFAULT \'\', "result_media" VARCHAR(100) NOT NULL DEFAULT \'\', "result_size" BIGINT NOT NULL DEFAULT 0, "error" TEXT NOT NULL DEFAULT \'\', "claimed_by" VARCHAR(80) NOT NULL DEFAULT \'\', "claim_until_ms" BIGINT NOT NULL DEFAULT 0, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "started_at" TIMESTAMPTZ DEFAULT null, "finished_at" TIMESTAMPTZ DEFAULT null)',
    ],
}

INDEXES = [
    # What the runner claims: queued jobs in order, running ones whose claim ran out.
    'CREATE INDEX "ix_job_state" ON "job" ("state", "id")',
    # A station's and a user's recent jobs (the job lists).
    'CREATE INDEX "ix_job_station" ON "job" ("station", "kind", "id")',
    'CREATE INDEX "ix_job_requested_by" ON "job" ("requested_by")',
]


def statements(engine_type: str) -> list[str]:
    return TABLES[engine_type] + INDEXES
