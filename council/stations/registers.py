"""Stations, the estates they serve, and their rooms."""

import re

from council.core.fields import WEEKDAYS, Field
from council.core.registry import Register, register
from council.stations.tables import Room, Station, StationEstate

async def _seed_categories(principal, station_id: int, values: dict) -> None:
    # A new station starts with the default category list, so its secretary edits a list
    # rather than facing an empty one (and a first category added by hand can't suppress the rest).
    from council.cases.calendar_store import categories_for

    await categories_for(station_id)


def _station_check(values: dict) -> dict[str, str]:
    errors = {}
    start, end = values.get("reception_start"), values.get("reception_end")
    if start and end and end <= start:
        errors["reception_end"] = "The reception must end after it starts."
    if values.get("case_prefix") and not re.fullmatch(r"[A-Z0-9]{2,10}", values["case_prefix"]):
        errors["case_prefix"] = "Use 2 to 10 capital letters or digits, e.g. ZXL."
    return errors


STATIONS = register(Register(
    name="stations", key="station", singular="Station", plural="Stations", table=Station,
    fields=(
        Field("community", "Community", kind="ref", ref="communities", required=True, editable=False),
        Field("name", "Name", required=True, max_length=120),
        Field("address", "Address", max_length=200),
        Field("case_prefix", "Case number prefix", required=True, max_length=20,
              help="Case numbers read PREFIX-2026-0015."),
        Field("reception_weekday", "Reception day", kind="weekday", choices=WEEKDAYS, required=True),
        Field("reception_start", "Reception starts", kind="time", required=True),
        Field("reception_end", "Reception ends", kind="time", required=True),
    ),
    scope="station", unique_together=(("case_prefix",),), filters=("community",), check=_station_check,
    unique_message="Another station already uses this case number prefix.", nav_group="Stations",
    after_write=_seed_categories,
    related=(("rooms", "station"), ("station-estates", "station"), ("station-categories", "station"),
             ("station-holidays", "station")),
))

STATION_ESTATES = register(Register(
    name="station-estates", key="station_estate", singular="Estate served", plural="Estates served",
    table=StationEstate,
    fields=(
        Field("station", "Station", kind="ref", ref="stations", required=True, editable=False),
        Field("estate", "Estate", kind="ref", ref="estates", required=True, editable=False),
    ),
    label_column="id", search=(), scope="station", unique_together=(("station", "estate"),),
    filters=("station", "estate"), unique_message="This station already serves that estate.", nav_group="Stations",
))

ROOMS = register(Register(
    name="rooms", key="room", singular="Room", plural="Rooms", table=Room,
    fields=(
        Field("station", "Station", kind="ref", ref="stations", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
        Field("capacity", "Seats", kind="int"),
    ),
    scope="station", unique_together=(("station", "name"),), filters=("station",),
    unique_message="This station already has a room with that name.", nav_group="Stations",
    derive=lambda values, refs: {"community": refs["station"]["community"]} if "station" in refs else {},
))
