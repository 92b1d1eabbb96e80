"""Consultation stations (议事驿站), the estates they serve and their rooms."""

from piccolo.columns import ForeignKey, Integer, Time, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.places.tables import Community, Estate


class Station(Table, tablename="station"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=120, required=True)
    address = Varchar(length=200, default="")
    case_prefix = Varchar(length=20, required=True)  # unique; case numbers are PREFIX-2026-0015
    reception_weekday = Integer(default=4)  # 0 = Monday … 4 = Friday
    reception_start = Time()
    reception_end = Time()
    # The emblem shown beside the name in the top bar and on PDFs: a storage key ("emblems/<hex>",
    # council/storage.py), "" for none (council/stations/emblem.py).
    emblem = Varchar(length=100, default="")
    version = Integer(default=1)


class StationEstate(Table, tablename="station_estate"):
    station = ForeignKey(Station, null=False, on_delete=OnDelete.cascade)
    estate = ForeignKey(Estate, null=False, on_delete=OnDelete.cascade)
    version = Integer(default=1)


class Room(Table, tablename="room"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    station = ForeignKey(Station, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    capacity = Integer(default=10)
    version = Integer(default=1)
