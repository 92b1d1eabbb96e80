"""The national holiday calendar every station inherits: years loaded with `council calendar load`
(the chinese-calendar library and shipped files need no table)."""

ID = "0012b_national_calendar"


def statements(engine_type: str) -> list[str]:
    pk = '"id" INTEGER PRIMARY KEY NOT NULL' if engine_type == "sqlite" else '"id" SERIAL PRIMARY KEY NOT NULL'
    return [
        f'CREATE TABLE "holiday_year" ({pk}, "year" INTEGER NOT NULL, "source" VARCHAR(300) NOT NULL DEFAULT \'\', '
        '"provisional" BOOLEAN NOT NULL DEFAULT false, "loaded_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
        '"loaded_by" VARCHAR(100) NOT NULL DEFAULT \'\')',
        'CREATE UNIQUE INDEX "ux_holiday_year_year" ON "holiday_year" ("year")',
        f'CREATE TABLE "national_holiday" ({pk}, "year" INTEGER NOT NULL, "day" DATE NOT NULL DEFAULT CURRENT_DATE, '
        '"kind" VARCHAR(10) NOT NULL DEFAULT \'holiday\', "note" VARCHAR(60) NOT NULL DEFAULT \'\')',
        'CREATE UNIQUE INDEX "ux_national_holiday_day" ON "national_holiday" ("day")',
    ]
