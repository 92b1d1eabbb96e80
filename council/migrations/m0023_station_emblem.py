"""A station's emblem (issue 17): the storage key of the image shown beside its name in the top bar
and on its PDFs (council/stations/emblem.py); '' for none."""

ID = "0023_station_emblem"


def statements(engine_type: str) -> list[str]:
    return ['ALTER TABLE "station" ADD COLUMN "emblem" VARCHAR(100) NOT NULL DEFAULT \'\'']
