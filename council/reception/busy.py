"""The reception day as busy time for the meetings calendar: each occurrence holds the room the
station receives visitors in (its setting, else its first room), so no meeting is booked there
and the day shows in the calendar. Registered with council.meetings.busy."""

from __future__ import annotations

import datetime as dt

from council.cases.calendar_store import LOCAL
from council.meetings import busy
from council.reception.store import occurrences, reception_room
from council.stations.tables import Station

LABEL = "书记接待日"


@busy.source
async def reception_days(start: dt.datetime, end: dt.datetime, keys: frozenset[str]) -> list[busy.Busy]:
    rooms = {int(k.split(":", 1)[1]) for k in keys if k.startswith("room:") and k.split(":", 1)[1].isdigit()}
    if not rooms:
        return []
    from council.stations.tables import Room

    station_ids = {r["station"] for r in await Room.select(Room.station).where(Room.id.is_in(list(rooms)))}
    out: list[busy.Busy] = []
    first, last = start.astimezone(LOCAL).date(), end.astimezone(LOCAL).date()
    for station in await Station.select().where(Station.id.is_in(list(station_ids) or [-1])):
        room = await reception_room(station["id"])
        if room not in rooms:
            continue
        for occ in await occurrences(station, first, last):
            s, e = occ.bounds(LOCAL)
            if s < end and e > start:
                out.append(busy.Busy(f"room:{room}", s, e, LABEL, f"reception_day:{station['id']}:{occ.day.isoformat()}"))
    return out
