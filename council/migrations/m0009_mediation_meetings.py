"""Mediation sessions are booked as meetings (kind mediation session): each session links its
meeting, and a session can be cancelled (when, why). ADD COLUMN with a NULL default and a
REFERENCES clause is allowed on SQLite and PostgreSQL alike."""

ID = "0009_mediation_meetings"


def statements(engine_type: str) -> list[str]:
    return [
        'ALTER TABLE "mediation_session" ADD COLUMN "meeting" INTEGER REFERENCES "meeting" ("id") '
        'ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null',
        'ALTER TABLE "mediation_session" ADD COLUMN "cancelled_at" TIMESTAMPTZ DEFAULT null',
        'ALTER TABLE "mediation_session" ADD COLUMN "cancel_reason" TEXT NOT NULL DEFAULT \'\'',
        'CREATE INDEX "ix_mediation_session_meeting" ON "mediation_session" ("meeting")',
    ]
