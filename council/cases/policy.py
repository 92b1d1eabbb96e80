"""Who may do what to a case. Pure: decided from the role, the principal's stations and the
case's own facts. No web or database imports."""

from __future__ import annotations

from dataclasses import dataclass

from council.accounts.permissions import JUDICIAL, OVERSIGHT, Role

SECRETARIAT = frozenset({Role.admin, Role.secretary})
STAFF = frozenset({Role.admin, Role.secretary, Role.grid_worker, Role.mediator})


@dataclass(frozen=True)
class CaseView:
    """What policy needs to know about one case."""

    station: int
    community: int
    kind: str
    reporter: int | None
    organisation: int | None
    # Organisations with a task in the proposal's action plan: their liaisons follow the case.
    task_organisations: frozenset[int] = frozenset()


def _at_station(p, case: CaseView) -> bool:
    return p.role == Role.admin or case.station in p.station_ids


# Disputes are read by those who may read their mediation file, and no one else. The mediation
# file holds the parties' identities and what was said in confidence, and the dispute case's
# timeline carries the file's history (parties added, sessions, consent, agreement); the case
# page holds no more than what the reporter wrote, but nothing there helps a grid worker, a
# liaison or a resident do their job, while every reader is one more person a party's private
# quarrel is known to (PIPL: least access). So privacy by default: a grid worker who found a
# dispute registers it (can_register) and hands it over; they do not follow it.
MEDIATION_READERS = frozenset({Role.admin, Role.secretary, Role.mediator}) | JUDICIAL


def can_read_disputes(p) -> bool:
    return p.role in MEDIATION_READERS


def can_view(p, case: CaseView) -> bool:
    if p.role in OVERSIGHT:
        # The street / district officer reads every case of the stations under them: disputes
        # too, as the street and the district are mediation's next levels (三级三轮调解) and their
        # overview counts them; the mediation file itself stays closed to them.
        return _at_station(p, case)
    if case.kind == "dispute" and not can_read_disputes(p):
        return False
    if p.role in STAFF:
        return _at_station(p, case)
    if p.role in JUDICIAL:
        # The judicial office reads a dispute's history beside its mediation file, nothing else
        # (and the case pages are closed to it: council.accounts.permissions.above_stations_allows).
        return case.kind == "dispute" and _at_station(p, case)
    if p.role == Role.department_liaison:
        return p.organisation_id is not None and (
            case.organisation == p.organisation_id or p.organisation_id in case.task_organisations)
    if p.role == Role.resident:
        # Their own concerns, and the proposals of their community (they discuss and vote on them).
        return (case.reporter is not None and case.reporter == p.person_id) or (
            case.kind == "proposal" and case.community in p.community_ids
        )
    return False


def can_register(p, station: int, kind: str) -> bool:
    if p.role == Role.resident:
        return kind in ("proposal", "request")
    if p.role == Role.mediator:
        return kind == "dispute" and station in p.station_ids
    return p.role in (Role.admin, Role.secretary, Role.grid_worker) and (p.role == Role.admin or station in p.station_ids)


def can_steer(p, case: CaseView) -> bool:
    """Move a case through its steps, dispatch, verify, close, chase, escalate, decide extensions."""
    return p.role in SECRETARIAT and _at_station(p, case)


def can_chase(p, case: CaseView) -> bool:
    """督办 / 提级办: the secretariat of the station, or an officer of the street or district above it
    (the one thing they write; the note they give is on the case's timeline for the station)."""
    return can_steer(p, case) or (p.role in OVERSIGHT and _at_station(p, case))


def chases_from_above(p) -> bool:
    """The chase comes from the street or the district, not from the station itself."""
    return p.role in OVERSIGHT


def can_follow_up(p, case: CaseView) -> bool:
    """Add notes and opinions: staff of the station."""
    return p.role in STAFF and _at_station(p, case)


def can_handle(p, case: CaseView) -> bool:
    """Accept, send back, report progress and results, ask for more time: the assigned organisation's
    liaison, or the secretariat recording what a department said on the phone."""
    if p.role == Role.department_liaison:
        return case.organisation is not None and case.organisation == p.organisation_id
    return can_steer(p, case)


def can_update_task(p, case: CaseView, task_organisation: int | None) -> bool:
    """Report progress on one task: staff of the station, or the liaison of the organisation it is assigned to."""
    if p.role == Role.department_liaison:
        return task_organisation is not None and task_organisation == p.organisation_id
    return can_follow_up(p, case) or can_handle(p, case)


def can_give_opinion(p, case: CaseView) -> bool:
    return can_follow_up(p, case) or (p.role == Role.resident and can_view(p, case))


def can_rate(p, case: CaseView) -> bool:
    if p.role == Role.resident:
        return can_view(p, case)
    return can_steer(p, case) or can_follow_up(p, case)
