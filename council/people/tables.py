"""Owners and residents, the units they own and the households that live in units."""

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.places.tables import Community, Unit


class Person(Table, tablename="person"):
    """A resident or owner. Phone and ID number are personal information: masked when shown."""

    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    phone = Varchar(length=20, default="")
    id_number = Varchar(length=18, default="")
    note = Text(default="")
    # Anonymising keeps the row (cases and votes point at it) but blanks what identifies.
    anonymised_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class Ownership(Table, tablename="ownership"):
    """Person owns unit. Co-owners: several rows for one unit, exactly one representative."""

    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict)
    is_representative = Boolean(default=True)
    version = Integer(default=1)


class Residence(Table, tablename="residence"):
    """Person lives in unit as part of its household."""

    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)
    person = ForeignKey(Person, null=False, on_delete=OnDelete.restrict)
    relation = Varchar(length=20, default="head")  # head / member / tenant
    version = Integer(default=1)
