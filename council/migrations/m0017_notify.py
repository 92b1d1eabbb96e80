"""Notifications: the outbox, delivery attempts, leases, signed links, preferences and channel
credentials (council/notify/tables.py). CREATE TABLE statements generated from the tables when
this migration was written, kept literally (see m0001)."""

ID = "0017_notify"

TABLES = {
    "sqlite": [
        'CREATE TABLE "notify_outbox" ("id" INTEGER PRIMARY KEY NOT NULL, "event_key" VARCHAR(160) NOT NULL DEFAULT \'\', "event" VARCHAR(60) NOT NULL DEFAULT \'\', "recipient" VARCHAR(40) NOT NULL DEFAULT \'\', "recipient_label" VARCHAR(120) NOT NULL DEFAULT \'\', "channel" VARCHAR(10) NOT NULL DEFAULT \'\', "address" VARCHAR(300) NOT NULL DEFAULT \'\', "locale" VARCHAR(10) NOT NULL DEFAULT \'zh_CN\', "case" INTEGER REFERENCES "case_file" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "params" JSON NOT NULL DEFAULT \'{}\', "urgent" BOOLEAN NOT NULL DEFAULT false, "status" VARCHAR(12) NOT NULL DEFAULT \'pending\', "attempts" INTEGER NOT NULL DEFAULT 0, "attempt_id" VARCHAR(32) NOT NULL DEFAULT \'\', "next_ms" INTEGER NOT NULL DEFAULT 0, "claim_until_ms" INTEGER NOT NULL DEFAULT 0, "last_error" TEXT NOT NULL DEFAULT \'\', "provider_id" VARCHAR(80) NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "sent_at" TIMESTAMPTZ DEFAULT null, "read_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE TABLE "notify_attempt" ("id" INTEGER PRIMARY KEY NOT NULL, "outbox" INTEGER NOT NULL REFERENCES "notify_outbox" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "attempt_id" VARCHAR(32) NOT NULL DEFAULT \'\', "at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "outcome" VARCHAR(12) NOT NULL DEFAULT \'\', "code" VARCHAR(60) NOT NULL DEFAULT \'\', "answer" TEXT NOT NULL DEFAULT \'\', "ms" INTEGER NOT NULL DEFAULT 0)',
        'CREATE TABLE "notify_lease" ("id" INTEGER PRIMARY KEY NOT NULL, "name" VARCHAR(40) UNIQUE NOT NULL DEFAULT \'\', "holder" VARCHAR(80) NOT NULL DEFAULT \'\', "until_ms" INTEGER NOT NULL DEFAULT 0)',
        'CREATE TABLE "notify_link" ("id" INTEGER PRIMARY KEY NOT NULL, "purpose" VARCHAR(20) NOT NULL DEFAULT \'\', "subject_id" INTEGER NOT NULL DEFAULT 0, "recipient" VARCHAR(40) NOT NULL DEFAULT \'\', "salt" VARCHAR(32) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) NOT NULL DEFAULT \'\', "expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "used_at" TIMESTAMPTZ DEFAULT null, "uses" INTEGER NOT NULL DEFAULT 0, "revoked_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE TABLE "notify_preference" ("id" INTEGER PRIMARY KEY NOT NULL, "owner" VARCHAR(40) UNIQUE NOT NULL DEFAULT \'\', "channels" JSON NOT NULL DEFAULT \'[]\', "email" VARCHAR(200) NOT NULL DEFAULT \'\', "mobile" VARCHAR(20) NOT NULL DEFAULT \'\', "wecom_key" VARCHAR(200) NOT NULL DEFAULT \'\', "quiet_start" VARCHAR(5) NOT NULL DEFAULT \'21:00\', "quiet_end" VARCHAR(5) NOT NULL DEFAULT \'08:00\', "digest" BOOLEAN NOT NULL DEFAULT false, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "notify_channel_setting" ("id" INTEGER PRIMARY KEY NOT NULL, "channel" VARCHAR(10) UNIQUE NOT NULL DEFAULT \'\', "secret" TEXT NOT NULL DEFAULT \'\', "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
    ],
    "postgres": [
        'CREATE TABLE "notify_outbox" ("id" SERIAL PRIMARY KEY NOT NULL, "event_key" VARCHAR(160) NOT NULL DEFAULT \'\', "event" VARCHAR(60) NOT NULL DEFAULT \'\', "recipient" VARCHAR(40) NOT NULL DEFAULT \'\', "recipient_label" VARCHAR(120) NOT NULL DEFAULT \'\', "channel" VARCHAR(10) NOT NULL DEFAULT \'\', "address" VARCHAR(300) NOT NULL DEFAULT \'\', "locale" VARCHAR(10) NOT NULL DEFAULT \'zh_CN\', "case" INTEGER REFERENCES "case_file" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "params" JSON NOT NULL DEFAULT \'{}\', "urgent" BOOLEAN NOT NULL DEFAULT false, "status" VARCHAR(12) NOT NULL DEFAULT \'pending\', "attempts" INTEGER NOT NULL DEFAULT 0, "attempt_id" VARCHAR(32) NOT NULL DEFAULT \'\', "next_ms" BIGINT NOT NULL DEFAULT 0, "claim_until_ms" BIGINT NOT NULL DEFAULT 0, "last_error" TEXT NOT NULL DEFAULT \'\', "provider_id" VARCHAR(80) NOT NULL DEFAULT \'\', "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "sent_at" TIMESTAMPTZ DEFAULT null, "read_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE TABLE "notify_attempt" ("id" SERIAL PRIMARY KEY NOT NULL, "outbox" INTEGER NOT NULL REFERENCES "notify_outbox" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "attempt_id" VARCHAR(32) NOT NULL DEFAULT \'\', "at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "outcome" VARCHAR(12) NOT NULL DEFAULT \'\', "code" VARCHAR(60) NOT NULL DEFAULT \'\', "answer" TEXT NOT NULL DEFAULT \'\', "ms" INTEGER NOT NULL DEFAULT 0)',
        'CREATE TABLE "notify_lease" ("id" SERIAL PRIMARY KEY NOT NULL, "name" VARCHAR(40) UNIQUE NOT NULL DEFAULT \'\', "holder" VARCHAR(80) NOT NULL DEFAULT \'\', "until_ms" BIGINT NOT NULL DEFAULT 0)',
        'CREATE TABLE "notify_link" ("id" SERIAL PRIMARY KEY NOT NULL, "purpose" VARCHAR(20) NOT NULL DEFAULT \'\', "subject_id" INTEGER NOT NULL DEFAULT 0, "recipient" VARCHAR(40) NOT NULL DEFAULT \'\', "salt" VARCHAR(32) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) NOT NULL DEFAULT \'\', "expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "used_at" TIMESTAMPTZ DEFAULT null, "uses" INTEGER NOT NULL DEFAULT 0, "revoked_at" TIMESTAMPTZ DEFAULT null)',
        'CREATE TABLE "notify_preference" ("id" SERIAL PRIMARY KEY NOT NULL, "owner" VARCHAR(40) UNIQUE NOT NULL DEFAULT \'\', "channels" JSON NOT NULL DEFAULT \'[]\', "email" VARCHAR(200) NOT NULL DEFAULT \'\', "mobile" VARCHAR(20) NOT NULL DEFAULT \'\', "wecom_key" VARCHAR(200) NOT NULL DEFAULT \'\', "quiet_start" VARCHAR(5) NOT NULL DEFAULT \'21:00\', "quiet_end" VARCHAR(5) NOT NULL DEFAULT \'08:00\', "digest" BOOLEAN NOT NULL DEFAULT false, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "notify_channel_setting" ("id" SERIAL PRIMARY KEY NOT NULL, "channel" VARCHAR(10) UNIQUE NOT NULL DEFAULT \'\', "secret" TEXT NOT NULL DEFAULT \'\', "updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
    ],
}

INDEXES = [
    # The dedup key: an event reaches one recipient once per channel, however often it is enqueued
    # (a retried write, the scheduler catching up after downtime).
    'CREATE UNIQUE INDEX "ux_notify_outbox_key" ON "notify_outbox" ("event_key", "recipient", "channel")',
    # What the worker claims: due rows by status and time.
    'CREATE INDEX "ix_notify_outbox_due" ON "notify_outbox" ("status", "next_ms")',
    # The bell and the inbox: a user's in-app messages.
    'CREATE INDEX "ix_notify_outbox_recipient" ON "notify_outbox" ("recipient", "channel", "read_at")',
    'CREATE INDEX "ix_notify_outbox_case" ON "notify_outbox" ("case")',
    'CREATE INDEX "ix_notify_attempt_outbox" ON "notify_attempt" ("outbox")',
    'CREATE UNIQUE INDEX "ux_notify_link_token" ON "notify_link" ("token_hash")',
    'CREATE INDEX "ix_notify_link_subject" ON "notify_link" ("purpose", "subject_id")',
]


def statements(engine_type: str) -> list[str]:
    return TABLES[engine_type] + INDEXES
