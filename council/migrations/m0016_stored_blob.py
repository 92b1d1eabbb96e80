"""Uploaded files kept in the database (council/storage.py, COUNCIL_FILE_STORE=database): one row
a file, so app nodes sharing one PostgreSQL hold no files of their own."""

ID = "0016_stored_blob"


def statements(engine_type: str) -> list[str]:
    blob = "BLOB" if engine_type == "sqlite" else "BYTEA"
    return [
        f'CREATE TABLE "stored_blob" ("key" VARCHAR(100) PRIMARY KEY NOT NULL, "content" {blob} NOT NULL, '
        '"size" INTEGER NOT NULL DEFAULT 0, "sha256" VARCHAR(64) NOT NULL DEFAULT \'\', '
        '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    ]
