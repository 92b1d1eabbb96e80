"""People's mediation, exactly (issue 13): who recorded the mediator's signature and whether on
the mediator's behalf; the joint application for judicial confirmation, the day the court
accepted it and whether it extended its decision period. ADD COLUMN with a constant default
works the same on SQLite and PostgreSQL."""

ID = "0011_mediation_law"


def statements(engine_type: str) -> list[str]:
    return [
        'ALTER TABLE "mediation_agreement" ADD COLUMN "mediator_recorded_by" INTEGER REFERENCES "app_user" ("id") '
        'ON DELETE RESTRICT ON UPDATE CASCADE DEFAULT null',
        'ALTER TABLE "mediation_agreement" ADD COLUMN "mediator_on_behalf" BOOLEAN NOT NULL DEFAULT false',
        'ALTER TABLE "judicial_confirmation" ADD COLUMN "joint" BOOLEAN NOT NULL DEFAULT false',
        'ALTER TABLE "judicial_confirmation" ADD COLUMN "accepted_on" DATE DEFAULT null',
        'ALTER TABLE "judicial_confirmation" ADD COLUMN "extended_on" DATE DEFAULT null',
        'ALTER TABLE "judicial_confirmation" ADD COLUMN "extension_reason" TEXT NOT NULL DEFAULT \'\'',
    ]
