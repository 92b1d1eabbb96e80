"""Residents' votes (issue 4): votes, their frozen electorates, ballots and secret tallies.

CREATE TABLE statements generated from council/votes/tables.py when this migration was
written, kept literally (see m0001).
"""

ID = "0003_votes"

TABLES = {
    "sqlite": [
        'CREATE TABLE "vote" ("id" INTEGER PRIMARY KEY NOT NULL, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "case" INTEGER REFERENCES "case_file" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "title" VARCHAR(200) NOT NULL DEFAULT \'\', "question" TEXT NOT NULL DEFAULT \'\', "options" JSON NOT NULL DEFAULT \'[]\', "rule_set" VARCHAR(30) NOT NULL DEFAULT \'\', "rule_params" JSON NOT NULL DEFAULT \'{}\', "non_voters_follow_majority" BOOLEAN NOT NULL DEFAULT false, "scope_estate" INTEGER REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "scope_buildings" JSON NOT NULL DEFAULT \'[]\', "voter_people" JSON NOT NULL DEFAULT \'[]\', "opens_at" TIMESTAMPTZ DEFAULT null, "closes_at" TIMESTAMPTZ DEFAULT null, "secret" BOOLEAN NOT NULL DEFAULT false, "notice_days" INTEGER NOT NULL DEFAULT 7, "state" VARCHAR(10) NOT NULL DEFAULT \'draft\', "rules_frozen" JSON DEFAULT null, "result" JSON DEFAULT null, "passed" BOOLEAN DEFAULT null, "opened_at" TIMESTAMPTZ DEFAULT null, "closed_at" TIMESTAMPTZ DEFAULT null, "notice_until" DATE DEFAULT null, "created_by" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "vote_voter" ("id" INTEGER PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "voter_key" VARCHAR(40) NOT NULL DEFAULT \'\', "kind" VARCHAR(15) NOT NULL DEFAULT \'owner\', "person" INTEGER REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "units" JSON NOT NULL DEFAULT \'[]\', "unit_numbers" TEXT NOT NULL DEFAULT \'\', "area_centi" INTEGER NOT NULL DEFAULT 0, "token_salt" VARCHAR(32) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) NOT NULL DEFAULT \'\')',
        'CREATE TABLE "vote_ballot" ("id" INTEGER PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "voter" INTEGER NOT NULL REFERENCES "vote_voter" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "choice" VARCHAR(40) DEFAULT null, "channel" VARCHAR(10) NOT NULL DEFAULT \'\', "entered_by" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "form_ref" VARCHAR(60) NOT NULL DEFAULT \'\', "proxy_name" VARCHAR(100) NOT NULL DEFAULT \'\', "proxy_authorisation" VARCHAR(100) NOT NULL DEFAULT \'\', "cast_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "vote_secret_count" ("id" INTEGER PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "choice" VARCHAR(40) NOT NULL DEFAULT \'\', "heads" INTEGER NOT NULL DEFAULT 0, "area_centi" INTEGER NOT NULL DEFAULT 0)',
    ],
    "postgres": [
        'CREATE TABLE "vote" ("id" SERIAL PRIMARY KEY NOT NULL, "station" INTEGER NOT NULL REFERENCES "station" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "community" INTEGER NOT NULL REFERENCES "community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "case" INTEGER REFERENCES "case_file" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "title" VARCHAR(200) NOT NULL DEFAULT \'\', "question" TEXT NOT NULL DEFAULT \'\', "options" JSON NOT NULL DEFAULT \'[]\', "rule_set" VARCHAR(30) NOT NULL DEFAULT \'\', "rule_params" JSON NOT NULL DEFAULT \'{}\', "non_voters_follow_majority" BOOLEAN NOT NULL DEFAULT false, "scope_estate" INTEGER REFERENCES "estate" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "scope_buildings" JSON NOT NULL DEFAULT \'[]\', "voter_people" JSON NOT NULL DEFAULT \'[]\', "opens_at" TIMESTAMPTZ DEFAULT null, "closes_at" TIMESTAMPTZ DEFAULT null, "secret" BOOLEAN NOT NULL DEFAULT false, "notice_days" INTEGER NOT NULL DEFAULT 7, "state" VARCHAR(10) NOT NULL DEFAULT \'draft\', "rules_frozen" JSON DEFAULT null, "result" JSON DEFAULT null, "passed" BOOLEAN DEFAULT null, "opened_at" TIMESTAMPTZ DEFAULT null, "closed_at" TIMESTAMPTZ DEFAULT null, "notice_until" DATE DEFAULT null, "created_by" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "vote_voter" ("id" SERIAL PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "voter_key" VARCHAR(40) NOT NULL DEFAULT \'\', "kind" VARCHAR(15) NOT NULL DEFAULT \'owner\', "person" INTEGER REFERENCES "person" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "units" JSON NOT NULL DEFAULT \'[]\', "unit_numbers" TEXT NOT NULL DEFAULT \'\', "area_centi" BIGINT NOT NULL DEFAULT 0, "token_salt" VARCHAR(32) NOT NULL DEFAULT \'\', "token_hash" VARCHAR(64) NOT NULL DEFAULT \'\')',
        'CREATE TABLE "vote_ballot" ("id" SERIAL PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "voter" INTEGER NOT NULL REFERENCES "vote_voter" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "choice" VARCHAR(40) DEFAULT null, "channel" VARCHAR(10) NOT NULL DEFAULT \'\', "entered_by" INTEGER REFERENCES "app_user" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "form_ref" VARCHAR(60) NOT NULL DEFAULT \'\', "proxy_name" VARCHAR(100) NOT NULL DEFAULT \'\', "proxy_authorisation" VARCHAR(100) NOT NULL DEFAULT \'\', "cast_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "version" INTEGER NOT NULL DEFAULT 1)',
        'CREATE TABLE "vote_secret_count" ("id" SERIAL PRIMARY KEY NOT NULL, "vote" INTEGER NOT NULL REFERENCES "vote" ("id") ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null, "choice" VARCHAR(40) NOT NULL DEFAULT \'\', "heads" INTEGER NOT NULL DEFAULT 0, "area_centi" BIGINT NOT NULL DEFAULT 0)',
    ],
}

INDEXES = [
    'CREATE INDEX "ix_vote_station_state" ON "vote" ("station", "state")',
    'CREATE INDEX "ix_vote_case" ON "vote" ("case")',
    # One head per voter key in a vote; the token hash finds the voter behind a voting link.
    'CREATE UNIQUE INDEX "ux_vote_voter_key" ON "vote_voter" ("vote", "voter_key")',
    'CREATE UNIQUE INDEX "ux_vote_voter_token" ON "vote_voter" ("token_hash")',
    'CREATE INDEX "ix_vote_voter_person" ON "vote_voter" ("person")',
    # ONE BALLOT PER VOTER, enforced by the database: concurrent submissions cannot both land.
    'CREATE UNIQUE INDEX "ux_vote_ballot_voter" ON "vote_ballot" ("vote", "voter")',
    'CREATE UNIQUE INDEX "ux_vote_secret_count" ON "vote_secret_count" ("vote", "choice")',
]


def statements(engine_type: str) -> list[str]:
    return TABLES[engine_type] + INDEXES
