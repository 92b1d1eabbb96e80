"""Residents and owners, what they own and where they live."""

from council.accounts.principal import Principal
from council.core.fields import Field
from council.core.registry import Register, register
from council.people.tables import Ownership, Person, Residence

RELATIONS = (("head", "Head of household"), ("member", "Household member"), ("tenant", "Tenant"))

PEOPLE = register(Register(
    name="people", key="person", singular="Resident", plural="Residents and owners", table=Person,
    fields=(
        Field("community", "Community", kind="ref", ref="communities", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
        Field("phone", "Phone", kind="phone", help="Kept to contact the resident about their concerns."),
        Field("id_number", "ID number", kind="id_number", in_list=False,
              help="Optional. Only when a vote or an agreement needs identity."),
        Field("note", "Note", kind="textarea", in_list=False, max_length=2000),
    ),
    search=("name", "phone"), filters=("community",), order_by="name", nav_group="People",
    related=(("ownerships", "person"), ("residences", "person")),
))


def _from_unit(values: dict, refs: dict) -> dict:
    return {"community": refs["unit"]["community"]} if "unit" in refs else {}


async def _one_representative(principal: Principal, row_id: int, values: dict) -> None:
    """Co-owners vote once through one representative: keep exactly one per unit."""
    unit = values["unit"]
    if values.get("is_representative"):
        await Ownership.update({Ownership.is_representative: False, Ownership.version: Ownership.version + 1}).where(
            (Ownership.unit == unit) & (Ownership.id != row_id) & (Ownership.is_representative == True)  # noqa: E712
        )
    elif not await Ownership.exists().where((Ownership.unit == unit) & (Ownership.is_representative == True)):  # noqa: E712
        await Ownership.update({Ownership.is_representative: True}).where(Ownership.id == row_id)


OWNERSHIPS = register(Register(
    name="ownerships", key="ownership", singular="Ownership", plural="Ownerships", table=Ownership,
    fields=(
        Field("unit", "Unit", kind="ref", ref="units", required=True, editable=False),
        Field("person", "Owner", kind="ref", ref="people", required=True, editable=False),
        Field("is_representative", "Representative of the co-owners", kind="bool"),
    ),
    label_column="id", search=(), derive=_from_unit, after_write=_one_representative,
    unique_together=(("unit", "person"),), filters=("unit", "person"),
    unique_message="This person is already an owner of this unit.", nav_group="People",
))

RESIDENCES = register(Register(
    name="residences", key="residence", singular="Household member", plural="Households", table=Residence,
    fields=(
        Field("unit", "Unit", kind="ref", ref="units", required=True, editable=False),
        Field("person", "Resident", kind="ref", ref="people", required=True, editable=False),
        Field("relation", "Relation", kind="choice", choices=RELATIONS, required=True),
    ),
    label_column="id", search=(), derive=_from_unit, unique_together=(("unit", "person"),),
    filters=("unit", "person"), unique_message="This person is already recorded in this household.",
    nav_group="People",
))
