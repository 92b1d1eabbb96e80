"""Work lists: a department liaison's inbox and "my tasks"."""

from __future__ import annotations

from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases.queries import CaseFilter, list_cases
from council.cases.tables import Task
from council.core.errors import Forbidden

STAFF = (Role.admin, Role.secretary, Role.grid_worker, Role.mediator)


async def inbox(principal: Principal, page: int = 1) -> tuple[list[dict], int]:
    """The requests dispatched to the liaison's organisation."""
    if principal.role != Role.department_liaison or not principal.organisation_id:
        raise Forbidden("The inbox is for department liaisons.")
    return await list_cases(principal, CaseFilter(organisation=principal.organisation_id, page=max(page, 1)))


async def my_tasks(principal: Principal, limit: int = 500) -> list[dict]:
    """Unfinished tasks: of the cases at the principal's stations (staff; admins: all stations),
    or assigned to their organisation (a liaison). Soonest due first; undated last."""
    if principal.role == Role.department_liaison:
        where = Task.organisation == (principal.organisation_id or -1)
    elif principal.role == Role.admin:
        where = Task.id > 0
    elif principal.role in STAFF:
        where = Task.case.station.is_in(list(principal.station_ids) or [-1])
    else:
        raise Forbidden()
    rows = await Task.select(
        *Task.all_columns(), Task.organisation.name.as_alias("organisation_name"),
        Task.case.number.as_alias("case_number"), Task.case.title.as_alias("case_title"),
        Task.case.state.as_alias("case_state"),
    ).where(where & Task.status.is_in(["open", "in_progress"])).order_by(Task.id, ascending=False).limit(limit)
    # Sorted here: SQLite and PostgreSQL disagree on where NULLs go.
    return sorted(rows, key=lambda r: (r["due_date"] is None, r["due_date"] or 0, r["id"]))


__all__ = ["inbox", "my_tasks"]
