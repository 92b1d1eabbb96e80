"""Issue 14 (privacy and security hardening):

- login_throttle: sign-in attempts per address and per account, in the database so several
  server processes share one count (council.accounts.ratelimit);
- api_token.scope ("read" or "full") and api_token.expires_at (NULL: never)."""

ID = "0013_privacy"


def statements(engine_type: str) -> list[str]:
    pk = "SERIAL" if engine_type == "postgres" else "INTEGER"
    return [
        f'CREATE TABLE "login_throttle" ("id" {pk} PRIMARY KEY NOT NULL, '
        '"key" VARCHAR(200) UNIQUE NOT NULL DEFAULT \'\', "attempts" INTEGER NOT NULL DEFAULT 0, '
        '"updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
        'ALTER TABLE "api_token" ADD COLUMN "scope" VARCHAR(10) NOT NULL DEFAULT \'full\'',
        'ALTER TABLE "api_token" ADD COLUMN "expires_at" TIMESTAMPTZ DEFAULT null',
        'CREATE INDEX "ix_user_session_expires_at" ON "user_session" ("expires_at")',
    ]
