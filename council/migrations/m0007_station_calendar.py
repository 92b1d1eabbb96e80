"""Holiday calendar days become editable registers: they need a version for optimistic locking."""

ID = "0007_station_calendar"


def statements(engine_type: str) -> list[str]:
    return ['ALTER TABLE "station_holiday" ADD COLUMN "version" INTEGER NOT NULL DEFAULT 1']
