"""Who may do what: roles × resources. Pure data and functions, no web or database imports.

Station scoping is separate (council.accounts.principal): a role says *what* a user may do,
their stations say *where*.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    secretary = "secretary"
    grid_worker = "grid_worker"
    mediator = "mediator"
    department_liaison = "department_liaison"
    resident = "resident"


STAFF = frozenset({Role.secretary, Role.grid_worker, Role.mediator})
ALL_STAFF_AND_ADMIN = STAFF | {Role.admin}

# resource -> (roles that may read, roles that may write)
MATRIX: dict[str, tuple[frozenset[Role], frozenset[Role]]] = {
    "street": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin})),
    "community": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin})),
    "estate": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "building": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "unit": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "grid": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    # Grid workers register the residents they meet on home visits.
    "person": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    # Anonymising erases a resident's identity for good (PIPL deletion requests): secretaries and admins.
    "person_anonymise": (frozenset({Role.admin, Role.secretary}), frozenset({Role.admin, Role.secretary})),
    "ownership": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    "residence": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    # A liaison reads only their own organisation (checked in the scope, not here).
    "organisation": (ALL_STAFF_AND_ADMIN | {Role.department_liaison}, frozenset({Role.admin, Role.secretary})),
    "contact_person": (ALL_STAFF_AND_ADMIN | {Role.department_liaison}, frozenset({Role.admin, Role.secretary})),
    "station": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin})),
    "station_estate": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin})),
    "grid_building": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "room": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    # A station's case categories (with time limits) and its holiday calendar: the secretary keeps them.
    "station_category": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "station_holiday": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    "register_import": (frozenset({Role.admin, Role.secretary}), frozenset({Role.admin, Role.secretary})),
    "user": (frozenset({Role.admin}), frozenset({Role.admin})),
    # Backups from the admin page (council.jobs): the archive holds everything.
    "backup": (frozenset({Role.admin}), frozenset({Role.admin})),
    "audit": (frozenset({Role.admin, Role.secretary}), frozenset()),
    # Cases: who may open the pages; what each may do to a case is council.cases.policy.
    "case": (frozenset(Role), frozenset(Role)),
    "case_inbox": (frozenset({Role.admin, Role.department_liaison}), frozenset({Role.admin, Role.department_liaison})),
    "case_task": (ALL_STAFF_AND_ADMIN | {Role.department_liaison}, ALL_STAFF_AND_ADMIN | {Role.department_liaison}),
    "dashboard": (ALL_STAFF_AND_ADMIN, frozenset()),
    # Reports filed upward (council.reports): the work report for the secretariat, the mediation
    # statistics for mediators too.
    "reports": (frozenset({Role.admin, Role.secretary, Role.mediator}), frozenset()),
    # People's mediation files (parties' identities, what was said): mediators and the secretariat.
    "mediation": (frozenset({Role.admin, Role.secretary, Role.mediator}), frozenset({Role.admin, Role.secretary, Role.mediator})),
    # Meetings: liaisons and residents see the ones they are invited to (council.meetings.policy).
    "meeting": (frozenset(Role), frozenset({Role.admin, Role.secretary})),
    # Residents' votes: staff of the station follow them, the secretariat runs them (council.votes.policy).
    "vote": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    # A resident's own open votes (voting links need no account at all).
    "my_votes": (frozenset({Role.resident}), frozenset({Role.resident})),
    # The reception day (council.reception.policy): staff of the station work the desk and its
    # queue; the secretariat keeps the schedule, the roster and decides swaps.
    "reception": (ALL_STAFF_AND_ADMIN, ALL_STAFF_AND_ADMIN),
    "reception_admin": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
}

# Roles whose work needs full phone and ID numbers (calling parties, writing agreements).
# Even for them the full value is shown only on request, and each look is audited.
PII_FULL_VIEW = frozenset({Role.admin, Role.secretary, Role.mediator})


def can_read(role: str, resource: str) -> bool:
    return role in MATRIX[resource][0]


def can_write(role: str, resource: str) -> bool:
    return role in MATRIX[resource][1]


def can_view_pii(role: str) -> bool:
    return role in PII_FULL_VIEW
