"""Reading one case with everything that hangs off it, as its reader may see it.

Used by the API (and usable by the pages): the case row with its place and organisation names,
each step's records, funding coverage, satisfaction with its raw counts, and the moves this
principal could make now.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases.overdue import case_overdue, task_overdue
from council.cases import policy, proposal_steps, request_loop, requests
from council.cases.attachments import list_attachments
from council.cases.calendar_store import today
from council.cases.common import load_case, proposal_facts, view_of
from council.cases.funding import coverage
from council.core.prepared import prepared
from council.cases.tables import BudgetLine, Case, Extension, FundingSource, Opinion, Option, Pledge, Rating, Task
from council.privacy import mask_name, mask_phone


@dataclass(frozen=True)
class Satisfaction:
    satisfied: int
    basically_satisfied: int
    unsatisfied: int

    @property
    def total(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def fraction(self) -> str | None:
        """"a/b" from the raw counts, so the reader sees how many households it stands for."""
        return f"{self.satisfied + self.basically_satisfied}/{self.total}" if self.total else None

    @property
    def percent(self) -> str | None:
        if not self.total:
            return None
        value = Decimal(100 * (self.satisfied + self.basically_satisfied)) / Decimal(self.total)
        return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def satisfaction_of(counts: dict[str, int]) -> Satisfaction:
    return Satisfaction(counts.get("satisfied", 0), counts.get("basically_satisfied", 0), counts.get("unsatisfied", 0))


def sees_identity(principal: Principal, row: dict) -> bool:
    """Staff of the station and the reporter see the reporter's name; a liaison only with the
    resident's consent to be contacted; everyone else (neighbours reading a proposal) the surname."""
    view = view_of(row)
    if policy.can_follow_up(principal, view):
        return True
    if principal.role == Role.resident:
        return row["reporter"] is not None and row["reporter"] == principal.person_id
    if principal.role == Role.department_liaison:
        return bool(row["contact_consent"]) and policy.can_handle(principal, view)
    return False


async def allowed_actions(principal: Principal, row: dict, facts=None) -> list[str]:
    view = view_of(row)
    if row["kind"] == "proposal":
        if not policy.can_steer(principal, view):
            return []
        return proposal_steps.MACHINE.allowed(row["state"], facts or await proposal_facts(row["id"], row))
    if row["kind"] != "request":
        return []  # disputes move through the mediation module
    # Input a move needs from its caller is assumed given: the list says what is possible now.
    facts = request_loop.RequestFacts(has_organisation=True, has_report=True, rating="satisfied")
    out = []
    for action in request_loop.MACHINE.allowed(row["state"], facts):
        if action in requests.STEER:
            ok = policy.can_steer(principal, view)
        elif action in requests.HANDLE:
            ok = policy.can_handle(principal, view)
        else:  # rate
            ok = policy.can_rate(principal, view)
        if ok:
            out.append(action)
    return out


# Each read below is built once and run with the case id (council.core.prepared): this page and
# the API's case read are the most-requested reads after the lists.
_names = prepared(lambda case_id: Case.select(
    Case.estate.name.as_alias("estate_name"), Case.building.number.as_alias("building_number"),
    Case.unit.number.as_alias("unit_number"), Case.organisation.name.as_alias("organisation_name"),
    Case.reporter.name.as_alias("reporter_name"), Case.reporter.phone.as_alias("reporter_phone"),
).where(Case.id == case_id).first())
_opinions = prepared(lambda case_id: Opinion.select(
    Opinion.id, Opinion.stance, Opinion.text, Opinion.person, Opinion.person.name.as_alias("person_name"),
    Opinion.organisation, Opinion.organisation.name.as_alias("organisation_name"), Opinion.created_at,
).where(Opinion.case == case_id).order_by(Opinion.id))
_options = prepared(lambda case_id: Option.select().where(Option.case == case_id).order_by(Option.id))
_tasks = prepared(lambda case_id: Task.select(*Task.all_columns(), Task.organisation.name.as_alias("organisation_name"))
                  .where(Task.case == case_id).order_by(Task.id))
_budget = prepared(lambda case_id: BudgetLine.select().where(BudgetLine.case == case_id).order_by(BudgetLine.id))
_funds = prepared(lambda case_id: FundingSource.select().where(FundingSource.case == case_id).order_by(FundingSource.id))
_pledges = prepared(lambda case_id: Pledge.select(
    Pledge.id, Pledge.unit, Pledge.amount, Pledge.unit.number.as_alias("unit_label"),
    Pledge.unit.estate.name.as_alias("estate_name")).where(Pledge.case == case_id).order_by(Pledge.id))
_ratings = prepared(lambda case_id: Rating.select(*Rating.all_columns(), Rating.unit.number.as_alias("unit_label"))
                    .where(Rating.case == case_id).order_by(Rating.id))
_extensions = prepared(lambda case_id: Extension.select().where(Extension.case == case_id).order_by(Extension.id))


async def case_detail(principal: Principal, case_id: int) -> dict:
    row = await load_case(principal, case_id)
    names = await _names(case_id)
    staff = policy.can_follow_up(principal, view_of(row))
    out = {**row, **names}
    if row["reporter"] is None:
        out["reporter_name"] = out["reporter_phone"] = None
    elif sees_identity(principal, row):
        out["reporter_phone"] = mask_phone(names["reporter_phone"]) or None
    else:
        out["reporter_name"], out["reporter_phone"] = mask_name(names["reporter_name"]), None
    day = today()
    out["overdue"] = case_overdue(row["kind"], row["state"], row["due_date"], day)

    opinions = await _opinions(case_id)
    if not staff:
        for o in opinions:
            o["person_name"] = mask_name(o["person_name"]) or None
    out["opinions"] = opinions
    out["options"] = await _options(case_id)
    out["tasks"] = await _tasks(case_id)
    for t in out["tasks"]:
        t["overdue"] = task_overdue(t["status"], t["due_date"], day)
    budget = await _budget(case_id)
    funds = await _funds(case_id)
    out["budget_lines"], out["funding_sources"] = budget, funds
    out["coverage"] = coverage([b["amount"] for b in budget], [f["amount"] for f in funds])
    pledges = await _pledges(case_id)
    out["pledges"] = pledges
    out["pledged_total"] = sum((p["amount"] for p in pledges), Decimal(0))
    ratings = await _ratings(case_id)
    out["ratings"] = ratings
    counts: dict[str, int] = {}
    for r in ratings:
        counts[r["rating"]] = counts.get(r["rating"], 0) + 1
    out["satisfaction"] = satisfaction_of(counts)
    out["extensions"] = await _extensions(case_id)
    out["attachments"] = await list_attachments(case_id)
    # A proposal's guard facts are read once here; the case page reuses them for its moves.
    out["proposal_facts"] = (await proposal_facts(case_id, row)
                             if row["kind"] == "proposal" and policy.can_steer(principal, view_of(row)) else None)
    out["allowed_actions"] = await allowed_actions(principal, row, out["proposal_facts"])
    return out
