"""The place registers: street → community → estate → building → unit, and grids."""

from council.core.fields import Field
from council.core.registry import Register, register
from council.places.tables import Building, Community, Estate, Grid, GridBuilding, Street, Unit

AREA_SOURCES = (("registered", "Property register"), ("surveyed", "Surveyed"), ("contract", "Contract"))
GRID_KINDS = (("grid", "Grid"), ("micro_grid", "Micro-grid"))

STREETS = register(Register(
    name="streets", key="street", singular="Street", plural="Streets", table=Street,
    fields=(
        Field("name", "Name", required=True, max_length=100),
        Field("district", "District", max_length=100),
        Field("city", "City", max_length=100),
    ),
    scope="street", search=("name", "district"), nav_group="Places",
    related=(("communities", "street"),),
))

COMMUNITIES = register(Register(
    name="communities", key="community", singular="Community", plural="Communities", table=Community,
    fields=(
        Field("street", "Street", kind="ref", ref="streets", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
    ),
    scope="self", unique_together=(("street", "name"),), filters=("street",), nav_group="Places",
    unique_message="This street already has a community with that name.",
    related=(("estates", "community"), ("grids", "community"), ("stations", "community")),
))

ESTATES = register(Register(
    name="estates", key="estate", singular="Estate", plural="Estates", table=Estate,
    fields=(
        Field("community", "Community", kind="ref", ref="communities", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
        Field("address", "Address", max_length=200),
    ),
    search=("name", "address"), unique_together=(("community", "name"),), filters=("community",),
    unique_message="This community already has an estate with that name.", nav_group="Places",
    related=(("buildings", "estate"), ("units", "estate")),
))

BUILDINGS = register(Register(
    name="buildings", key="building", singular="Building", plural="Buildings", table=Building,
    fields=(
        Field("estate", "Estate", kind="ref", ref="estates", required=True, editable=False),
        Field("number", "Building number", required=True, max_length=40),
    ),
    label_column="number", search=("number",), order_by="number",
    derive=lambda values, refs: {"community": refs["estate"]["community"]} if "estate" in refs else {},
    unique_together=(("estate", "number"),), filters=("estate",),
    unique_message="This estate already has a building with that number.", nav_group="Places",
    related=(("units", "building"), ("grid-buildings", "building")),
))


def _unit_parents(values: dict, refs: dict) -> dict:
    if "building" not in refs:
        return {}
    building = refs["building"]
    return {"estate": building["estate"], "community": building["community"]}


UNITS = register(Register(
    name="units", key="unit", singular="Unit", plural="Units", table=Unit,
    fields=(
        Field("building", "Building", kind="ref", ref="buildings", required=True, editable=False),
        Field("number", "Unit number", required=True, max_length=40, help="Unique within the estate, e.g. 3-2-501."),
        Field("area_m2", "Exclusive floor area (m²)", kind="area", required=True),
        Field("area_source", "Area source", kind="choice", choices=AREA_SOURCES, required=True),
        Field("developer_unsold", "Developer's unsold or undelivered unit", kind="bool"),
    ),
    label_column="number", search=("number",), order_by="number",
    derive=_unit_parents, unique_together=(("estate", "number"),), filters=("estate", "building"),
    unique_message="This estate already has a unit with that number.", nav_group="Places",
    related=(("ownerships", "unit"), ("residences", "unit")),
))

GRIDS = register(Register(
    name="grids", key="grid", singular="Grid", plural="Grids", table=Grid,
    fields=(
        Field("community", "Community", kind="ref", ref="communities", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
        Field("kind", "Kind", kind="choice", choices=GRID_KINDS, required=True),
        Field("parent", "Parent grid", kind="ref", ref="grids"),
    ),
    filters=("community",), nav_group="Places",
    related=(("grid-buildings", "grid"),),
))


GRID_BUILDINGS = register(Register(
    name="grid-buildings", key="grid_building", singular="Building in a grid", plural="Buildings in grids", table=GridBuilding,
    fields=(
        Field("grid", "Grid", kind="ref", ref="grids", required=True),
        Field("building", "Building", kind="ref", ref="buildings", required=True),
    ),
    label_column="id", search=(), unique_together=(("grid", "building"),),
    derive=lambda values, refs: {"community": refs["grid"]["community"]} if "grid" in refs else {},
    filters=("grid", "building"), unique_message="This building is already in that grid.", nav_group="Places",
))
