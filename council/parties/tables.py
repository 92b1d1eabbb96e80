"""Organisations that take part in consultation (the five parties, departments, …)."""

from piccolo.columns import JSON, ForeignKey, Integer, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.places.tables import Community


class Organisation(Table, tablename="organisation"):
    # A department usually serves a whole street or district: community is then empty and
    # every station may see it; only admins edit such shared organisations.
    community = ForeignKey(Community, null=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=30, required=True)
    name = Varchar(length=120, required=True)
    phone = Varchar(length=20, default="")
    # [{"weekday": 0-6, "start": "09:00", "end": "17:30"}, …] — see council.parties.hours
    working_hours = JSON(default="[]")
    version = Integer(default=1)


class ContactPerson(Table, tablename="contact_person"):
    # Copied from the organisation so contact lists scope like everything else.
    community = ForeignKey(Community, null=True, on_delete=OnDelete.restrict)
    organisation = ForeignKey(Organisation, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    title = Varchar(length=100, default="")
    phone = Varchar(length=20, default="")
    version = Integer(default=1)
