"""Who may do what: roles × resources. Pure data and functions, no web or database imports.

Station scoping is separate (council.accounts.principal): a role says *what* a user may do,
their stations say *where*.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    secretary = "secretary"
    grid_worker = "grid_worker"
    mediator = "mediator"
    department_liaison = "department_liaison"
    resident = "resident"
    # Above the station (issue 18): tied to a street or a district, not to stations; they read
    # every station under them (council.accounts.principal.stations_under).
    street_officer = "street_officer"
    district_officer = "district_officer"
    judicial_officer = "judicial_officer"


STAFF = frozenset({Role.secretary, Role.grid_worker, Role.mediator})
ALL_STAFF_AND_ADMIN = STAFF | {Role.admin}
# The street office (街道) and the district (区) supervise: they read every station under them and
# write nothing but a chase (督办) or an escalation (提级办) of a case (council.cases.policy).
OVERSIGHT = frozenset({Role.street_officer, Role.district_officer})
# The judicial office (司法所) reads the mediation files and statistics of its area, masked.
JUDICIAL = frozenset({Role.judicial_officer})
# Roles tied to an area (a street or a district) instead of stations.
AREA_ROLES = OVERSIGHT | JUDICIAL
# Who reads a station's registers and records: its staff, admins, and the officers above it.
READERS = ALL_STAFF_AND_ADMIN | OVERSIGHT

# resource -> (roles that may read, roles that may write)
MATRIX: dict[str, tuple[frozenset[Role], frozenset[Role]]] = {
    "street": (READERS, frozenset({Role.admin})),
    "community": (READERS, frozenset({Role.admin})),
    "estate": (READERS, frozenset({Role.admin, Role.secretary})),
    "building": (READERS, frozenset({Role.admin, Role.secretary})),
    "unit": (READERS, frozenset({Role.admin, Role.secretary})),
    "grid": (READERS, frozenset({Role.admin, Role.secretary})),
    # Grid workers register the residents they meet on home visits.
    "person": (READERS, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    # Anonymising erases a resident's identity for good (PIPL deletion requests): secretaries and admins.
    "person_anonymise": (frozenset({Role.admin, Role.secretary}), frozenset({Role.admin, Role.secretary})),
    "ownership": (READERS, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    "residence": (READERS, frozenset({Role.admin, Role.secretary, Role.grid_worker})),
    # A liaison reads only their own organisation (checked in the scope, not here).
    "organisation": (READERS | {Role.department_liaison}, frozenset({Role.admin, Role.secretary})),
    "contact_person": (READERS | {Role.department_liaison}, frozenset({Role.admin, Role.secretary})),
    "station": (READERS, frozenset({Role.admin})),
    "station_estate": (READERS, frozenset({Role.admin})),
    "grid_building": (READERS, frozenset({Role.admin, Role.secretary})),
    "room": (READERS, frozenset({Role.admin, Role.secretary})),
    # A station's case categories (with time limits) and its holiday calendar: the secretary keeps them.
    "station_category": (READERS, frozenset({Role.admin, Role.secretary})),
    "station_holiday": (READERS, frozenset({Role.admin, Role.secretary})),
    "register_import": (frozenset({Role.admin, Role.secretary}), frozenset({Role.admin, Role.secretary})),
    "user": (frozenset({Role.admin}), frozenset({Role.admin})),
    # Backups from the admin page (council.jobs): the archive holds everything.
    "backup": (frozenset({Role.admin}), frozenset({Role.admin})),
    "audit": (frozenset({Role.admin, Role.secretary}), frozenset()),
    # Cases: who may open the pages; what each may do to a case is council.cases.policy.
    # The judicial office reads mediation files only, never the station's cases.
    "case": (frozenset(Role) - JUDICIAL, frozenset(Role) - JUDICIAL),
    "case_inbox": (frozenset({Role.admin, Role.department_liaison}), frozenset({Role.admin, Role.department_liaison})),
    "case_task": (ALL_STAFF_AND_ADMIN | {Role.department_liaison}, ALL_STAFF_AND_ADMIN | {Role.department_liaison}),
    "dashboard": (ALL_STAFF_AND_ADMIN, frozenset()),
    # Reports filed upward (council.reports): the work report for the secretariat, the mediation
    # statistics for mediators too; the offices above the stations draw them for the stations under
    # them (the judicial office: the mediation statistics only — council.reports.service).
    "reports": (frozenset({Role.admin, Role.secretary, Role.mediator}) | OVERSIGHT | JUDICIAL, frozenset()),
    # People's mediation files (parties' identities, what was said): mediators and the secretariat.
    # The judicial office of the area reads them (masked) for its statistics; it changes nothing.
    "mediation": (frozenset({Role.admin, Role.secretary, Role.mediator}) | JUDICIAL,
                  frozenset({Role.admin, Role.secretary, Role.mediator})),
    # Meetings: liaisons and residents see the ones they are invited to (council.meetings.policy).
    "meeting": (frozenset(Role) - JUDICIAL, frozenset({Role.admin, Role.secretary})),
    # Residents' votes: staff of the station follow them, the secretariat runs them (council.votes.policy).
    "vote": (READERS, frozenset({Role.admin, Role.secretary})),
    # A resident's own open votes (voting links need no account at all).
    "my_votes": (frozenset({Role.resident}), frozenset({Role.resident})),
    # The reception day (council.reception.policy): staff of the station work the desk and its
    # queue; the secretariat keeps the schedule, the roster and decides swaps.
    "reception": (ALL_STAFF_AND_ADMIN, ALL_STAFF_AND_ADMIN),
    "reception_admin": (ALL_STAFF_AND_ADMIN, frozenset({Role.admin, Role.secretary})),
    # The cross-station dashboard (/oversight): the officers above the stations, and admins.
    "oversight": (OVERSIGHT | {Role.admin}, frozenset()),
}

# Roles whose work needs full phone and ID numbers (calling parties, writing agreements).
# Even for them the full value is shown only on request, and each look is audited.
PII_FULL_VIEW = frozenset({Role.admin, Role.secretary, Role.mediator})


def can_read(role: str, resource: str) -> bool:
    return role in MATRIX[resource][0]


def can_write(role: str, resource: str) -> bool:
    return role in MATRIX[resource][1]


def is_area_role(role: str) -> bool:
    return role in AREA_ROLES


# What the officers above the stations may send besides reads: their own account and inbox, and
# (street / district officers only) a chase or an escalation of a case. Checked app-wide before
# any route runs (council.web.guards.above_stations), so a route added later cannot let them write.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# (Links that need no account — a voting link, a signed notification link — carry their own key:
# whoever holds it acts as the link's owner, signed in or not.)
_OWN_WRITES = re.compile(r"^/(logout|locale|account/password|meetings/feeds|api/v1/meetings/feeds)$|^/notify(/|$)"
                         r"|^/v/[^/]+$|^/n/|^/api/v1/ballots/[^/]+$")
_CHASE_WRITES = re.compile(r"^/cases/\d+/do/(chase|escalate)$|^/api/v1/cases/\d+/(chase|escalate)$")
# The judicial office opens no case, meeting, vote or register: mediation files and statistics only.
_JUDICIAL_CLOSED = re.compile(r"^/(api/v1/)?(cases|meetings|votes|inbox|my|dashboard|reception|imports)(/|$)")


def above_stations_allows(role: str, method: str, path: str) -> bool:
    """Whether an officer above the stations may send this request at all (other roles: always;
    the route's own checks still follow). Street and district officers write nothing but a chase
    or an escalation; the judicial office writes nothing and reads no case, meeting or vote."""
    if role not in AREA_ROLES:
        return True
    if role in JUDICIAL and _JUDICIAL_CLOSED.match(path):
        return False
    if method.upper() in SAFE_METHODS:
        return True
    if _OWN_WRITES.match(path):
        return True
    return role in OVERSIGHT and bool(_CHASE_WRITES.match(path))


def can_view_pii(role: str) -> bool:
    return role in PII_FULL_VIEW
