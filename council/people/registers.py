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
    """Co-owners vote once through ONE representative (Civil Code Art. 278 counting). Marking a
    second is refused — unmark the current one first — and nothing is written. With none marked,
    the first co-owner recorded is the representative (council.votes.electorate); a new unit's
    first owner is marked as such."""
    from council.core.errors import Conflict

    unit = values["unit"]
    others = Ownership.select(Ownership.id).where(
        (Ownership.unit == unit) & (Ownership.id != row_id) & (Ownership.is_representative == True))  # noqa: E712
    if values.get("is_representative"):
        if await others.first():
            raise Conflict("This unit already has a representative of its co-owners: one representative per unit. "
                           "Unmark the current one first.", field="is_representative")
    elif "id" not in values:  # a new ownership row: the first co-owner of the unit represents it
        first = await Ownership.select(Ownership.id).where(Ownership.unit == unit).order_by(Ownership.id).first()
        if first and first["id"] == row_id:
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
