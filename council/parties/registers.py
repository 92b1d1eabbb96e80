"""Organisations (parties) and their contact people."""

from council.core.fields import Field
from council.core.registry import Register, register
from council.parties.tables import ContactPerson, Organisation

ORGANISATION_KINDS = (
    ("property_manager", "Property management company"),
    ("residents_committee", "Residents' committee"),
    ("owners_committee", "Owners' committee"),
    ("party_branch", "Grid party branch"),
    ("department", "Government department"),
    ("co_building_unit", "Co-building unit"),
    ("social_organisation", "Social organisation"),
)

ORGANISATIONS = register(Register(
    name="organisations", key="organisation", singular="Organisation", plural="Organisations",
    table=Organisation,
    fields=(
        Field("community", "Community", kind="ref", ref="communities", editable=False,
              help="Leave empty for a department that serves every station."),
        Field("kind", "Kind", kind="choice", choices=ORGANISATION_KINDS, required=True),
        Field("name", "Name", required=True, max_length=120),
        Field("phone", "Phone", kind="phone"),
        Field("working_hours", "Working hours", kind="hours", in_list=False,
              help="One line per period, e.g. Mon-Fri 09:00-17:30."),
    ),
    scope="shared", filters=("community",), nav_group="Parties",
    related=(("contacts", "organisation"),),
))

CONTACTS = register(Register(
    name="contacts", key="contact_person", singular="Contact person", plural="Contact people",
    table=ContactPerson,
    fields=(
        Field("organisation", "Organisation", kind="ref", ref="organisations", required=True, editable=False),
        Field("name", "Name", required=True, max_length=100),
        Field("title", "Job title", max_length=100),
        Field("phone", "Phone", kind="phone"),
    ),
    scope="shared", filters=("organisation",), nav_group="Parties",
    derive=lambda values, refs: {"community": refs["organisation"]["community"]} if "organisation" in refs else {},
))
