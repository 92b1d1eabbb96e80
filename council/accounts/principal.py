"""The signed-in user as every request and service sees them."""

from __future__ import annotations

from dataclasses import dataclass, field

from council.accounts.permissions import Role
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

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

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


# What acts as SYSTEM is the `council` command on the server (user and token commands, calendar
# loads, the demo loader): timelines and the audit log name it so, never a bare "system" (issue 17).
SYSTEM = Principal(user_id=0, username="system", display_name="服务器命令行（council）", role=Role.admin, via="cli")
# Who acts through a per-household voting link (no account): named as such in the audit log, never
# by the household (the voter's id is in the entry; a secret ballot's choice is not).
VOTING_LINK = Principal(user_id=0, username="vote-link", display_name="业主（表决链接）", role=Role.resident, via="link")
