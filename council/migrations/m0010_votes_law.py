"""Votes and decisions as the law has them (issue 13): a vote names its matter (Civil Code
Art. 278 para. 1 items, or another community matter), the management-rules clause that allows
"non-voters follow the majority", why a vote closed before its announced end; a ballot carries
the date the station received it and how many times staff corrected it. Existing votes keep an
empty matter (shown as "matter not stated"): guessing an Art. 278 item for them would put words
in the record that nobody chose."""

ID = "0010_votes_law"


def statements(engine_type: str) -> list[str]:
    return [
        'ALTER TABLE "vote" ADD COLUMN "matter" VARCHAR(20) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "vote" ADD COLUMN "follow_clause" VARCHAR(200) NOT NULL DEFAULT \'\'',
        'ALTER TABLE "vote" ADD COLUMN "early_close_reason" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "vote_ballot" ADD COLUMN "received_on" DATE DEFAULT null',
        'ALTER TABLE "vote_ballot" ADD COLUMN "corrections" INTEGER NOT NULL DEFAULT 0',
    ]
