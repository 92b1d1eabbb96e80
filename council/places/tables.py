"""Street → community → estate → building → unit, and the grids that cover them.

Scoped rows carry their community directly so that "what may this user see" is one
indexed `community IN (...)` filter at every level, set by the service from the parent,
never from user input.
"""

from piccolo.columns import Boolean, ForeignKey, Integer, Numeric, Varchar, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Street(Table, tablename="street"):
    name = Varchar(length=100, required=True)
    district = Varchar(length=100, default="")
    city = Varchar(length=100, default="")
    version = Integer(default=1)


class Community(Table, tablename="community"):
    street = ForeignKey(Street, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    version = Integer(default=1)


class Estate(Table, tablename="estate"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    address = Varchar(length=200, default="")
    version = Integer(default=1)


class Building(Table, tablename="building"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    estate = ForeignKey(Estate, null=False, on_delete=OnDelete.restrict)
    number = Varchar(length=40, required=True)
    version = Integer(default=1)


class Unit(Table, tablename="unit"):
    """A unit (户): the owner's exclusive part, with its registered floor area."""

    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    estate = ForeignKey(Estate, null=False, on_delete=OnDelete.restrict)
    building = ForeignKey(Building, null=False, on_delete=OnDelete.restrict)
    number = Varchar(length=40, required=True)  # unique per estate, e.g. "3-2-501"
    area_m2 = Numeric(digits=(10, 2), required=True)
    area_source = Varchar(length=20, default="registered")  # registered / surveyed / contract
    developer_unsold = Boolean(default=False)
    version = Integer(default=1)
    updated_at = Timestamptz()


class Grid(Table, tablename="grid"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    name = Varchar(length=100, required=True)
    kind = Varchar(length=20, default="grid")  # grid / micro_grid
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict)
    version = Integer(default=1)


class GridBuilding(Table, tablename="grid_building"):
    community = ForeignKey(Community, null=False, on_delete=OnDelete.restrict)
    grid = ForeignKey(Grid, null=False, on_delete=OnDelete.cascade)
    building = ForeignKey(Building, null=False, on_delete=OnDelete.cascade)
    version = Integer(default=1)
