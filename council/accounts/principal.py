"""The signed-in user as every request and service sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from council.accounts.permissions import AREA_ROLES, OVERSIGHT, Role
from council.core.errors import OutOfScope


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: str
    station_ids: frozenset[int] = field(default_factory=frozenset)
    community_ids: frozenset[int] = field(default_factory=frozenset)
    organisation_id: int | None = None
    person_id: int | None = None
    locale: str = ""
    via: str = "session"  # session / token / cli
    station_names: tuple[str, ...] = ()  # shown in the top bar: which station's app this is
    station_emblem: str = ""  # the first station's emblem (its address), beside its name in the top bar
    # Officers above the stations (street / district / judicial office): the area they answer for.
    # Their station_ids are the stations under that area, resolved once per request.
    area_street: int | None = None
    area_district: str = ""
    area_label: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    @property
    def oversees(self) -> bool:
        """A street or district officer: reads every station under them, writes only chases and escalations."""
        return self.role in OVERSIGHT

    @property
    def above_stations(self) -> bool:
        """Tied to an area (street, district) rather than to stations."""
        return self.role in AREA_ROLES

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def sees_community(self, community_id: int | None) -> bool:
        return self.is_admin or (community_id is not None and community_id in self.community_ids)

    def sees_station(self, station_id: int | None) -> bool:
        return self.is_admin or (station_id is not None and station_id in self.station_ids)

    def require_station(self, station_id: int | None) -> None:
        if not self.sees_station(station_id):
            raise OutOfScope()

    def require_community(self, community_id: int | None) -> None:
        if not self.sees_community(community_id):
            raise OutOfScope()


@dataclass(frozen=True)
class PlacedStation:
    """Where a station sits in the places hierarchy: what the scoping rule needs to know."""

    id: int
    community: int
    street: int
    district: str


def area_of(role: str, street: int | None, district: str) -> tuple[int | None, str]:
    """The area an officer of `role` answers for, as stored on the user: a street officer has a
    street, a district officer a district, a judicial office either (a street's 司法所 or the
    district's). Anything else about the user is ignored, so a changed role leaves no stale area."""
    district = (district or "").strip()
    if role == Role.street_officer:
        return street, ""
    if role == Role.district_officer:
        return None, district
    if role == Role.judicial_officer:
        return (street, "") if street else (None, district)
    return None, ""


def stations_under(role: str, street: int | None, district: str, stations: Iterable[PlacedStation]) -> frozenset[int]:
    """The stations an officer sees: those of the communities of their street, or of every street
    of their district. No area, no stations: an officer whose street is not set sees nothing, never
    everything. Districts are matched by their exact name (streets carry it as text)."""
    street, district = area_of(role, street, district)
    if street is not None:
        return frozenset(s.id for s in stations if s.street == street)
    if district:
        return frozenset(s.id for s in stations if s.district.strip() == district)
    return frozenset()


# What acts as SYSTEM is the `council` command on the server (user and token commands, calendar
# loads, the demo loader): timelines and the audit log name it so, never a bare "system" (issue 17).
SYSTEM = Principal(user_id=0, username="system", display_name="服务器命令行（council）", role=Role.admin, via="cli")
# Who acts through a per-household voting link (no account): named as such in the audit log, never
# by the household (the voter's id is in the entry; a secret ballot's choice is not).
VOTING_LINK = Principal(user_id=0, username="vote-link", display_name="业主（表决链接）", role=Role.resident, via="link")
