"""Per-station case settings kept as registers: the category list with its time limits, and the
holiday calendar (days off and make-up working days) that deadlines are counted against."""

from council.cases.tables import StationCategory, StationHoliday
from council.core.fields import Field
from council.core.registry import Register, register

HOLIDAY_KINDS = (("holiday", "Holiday (no work)"), ("makeup", "Make-up working day"))


def _category_check(values: dict) -> dict[str, str]:
    errors = {}
    if values.get("limit_days") is not None and not 1 <= values["limit_days"] <= 60:
        errors["limit_days"] = "Use 1 to 60 working days."
    code = values.get("code")
    # The code is what cases store, so it stays plain: existing cases keep pointing at it.
    if code and not code.replace("_", "").isalnum():
        errors["code"] = "Use letters, digits and underscores only."
    return errors


def _holiday_check(values: dict) -> dict[str, str]:
    day, kind = values.get("day"), values.get("kind")
    if day and kind == "makeup" and day.weekday() < 5:
        return {"kind": "A make-up working day falls on a Saturday or Sunday."}
    if day and kind == "holiday" and day.weekday() >= 5:
        return {"kind": "Weekends are days off already; record only weekday holidays."}
    return {}


async def _days_changed(principal, row_id: int, values: dict) -> None:
    # Inside the register's write transaction: the day and the deadlines it moves commit together.
    from council.cases.national_calendar import station_days_changed

    await station_days_changed(principal, row_id, values)


STATION_CATEGORIES = register(Register(
    name="station-categories", key="station_category", singular="Case category", plural="Case categories",
    table=StationCategory,
    fields=(
        Field("station", "Station", kind="ref", ref="stations", required=True, editable=False),
        Field("code", "Code", required=True, max_length=40, editable=False,
              help="Stored on cases; cannot change later. Letters, digits and underscores."),
        Field("label", "Name", required=True, max_length=60),
        Field("limit_days", "Time limit (working days)", kind="int", required=True),
        Field("position", "Order", kind="int"),
        Field("active", "In use", kind="bool"),
    ),
    label_column="label", search=("label", "code"), scope="station", order_by="position",
    unique_together=(("station", "code"),), filters=("station",), check=_category_check,
    unique_message="This station already has a category with that code.", nav_group="Stations",
))

STATION_HOLIDAYS = register(Register(
    name="station-holidays", key="station_holiday", singular="Holiday calendar day",
    plural="Holiday calendar", table=StationHoliday,
    fields=(
        Field("station", "Station", kind="ref", ref="stations", required=True, editable=False),
        Field("day", "Date", kind="date", required=True),
        Field("kind", "Kind", kind="choice", choices=HOLIDAY_KINDS, required=True),
        Field("note", "Note", max_length=60),
    ),
    label_column="day", search=("note",), scope="station", order_by="day",
    unique_together=(("station", "day"),), filters=("station",), check=_holiday_check,
    unique_message="This day is already in the station's calendar.", nav_group="Stations",
    after_write=_days_changed,
))
