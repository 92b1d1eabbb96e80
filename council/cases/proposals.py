"""Use cases of the six-step method: moves between steps, and each step's records."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases import decision, policy, proposal_steps
from council.cases.calendar_store import local_date
from council.cases.common import add_event, check_version, load_case, now, proposal_facts, require, set_state, view_of
from council.cases.statemachine import MoveRefused
from council.cases.tables import BudgetLine, FundingSource, Opinion, Option, Pledge, Rating, Task
from council.cases.vocabulary import FUNDING_SOURCES, RATINGS, STANCES, TASK_STATUSES, codes
from council.core.errors import Conflict, Invalid
from council.core.validators import parse_decimal
from council.core import scope


def _proposal(row: dict) -> None:
    if row["kind"] != "proposal":
        raise Conflict("This action applies to proposals only.")


async def move_proposal(principal: Principal, case_id: int, action: str, *, reason: str = "",
                        no_vote_needed: bool = False, version: Any = None, ip: str = "") -> dict:
    """Move a proposal to another step; the state machine decides, the timeline records.
    `no_vote_needed` is the declaration that skipping the vote (skip_vote) needs."""
    async with db.write():
        row = await load_case(principal, case_id)
        _proposal(row)
        require(policy.can_steer(principal, view_of(row)))
        check_version(row, version)
        facts = dataclasses.replace(await proposal_facts(case_id, row), no_vote_needed=bool(no_vote_needed))
        try:
            target = proposal_steps.move(row["state"], action, facts, reason)
        except MoveRefused as e:
            raise Conflict(e.message) from None
        values: dict[str, Any] = {"state": target}
        if target in proposal_steps.ENDS:
            values["closed_at"] = now()
        elif row["closed_at"] is not None:
            values["closed_at"] = None
        if action == "record_vote" and target == "discuss":
            values["vote_result"] = ""  # back to discussion: the next vote starts fresh
        data = None
        if action == "skip_vote":  # said wherever the decision shows: 未经表决
            values.update({"vote_result": decision.UNVOTED, "vote_ref": ""})
            data = {"no_vote_needed": True}
        return await set_state(principal, row, values, event=f"proposal.{action}", text=reason, data=data, ip=ip)


async def _step_record(principal: Principal, case_id: int, check, insert, kind: str, summary: dict, ip: str) -> int:
    async with db.write():
        row = await load_case(principal, case_id)
        _proposal(row)
        require(check(principal, view_of(row)))
        new_id = await insert(row)
        await add_event(principal, case_id, kind, data=summary)
        await audit.record(principal, f"case.{kind}", entity_type="case", entity_id=case_id,
                           after=summary, station_id=row["station"], ip=ip)
        return new_id


async def add_opinion(principal: Principal, case_id: int, *, stance: str, text: str,
                      person: int | None = None, organisation: int | None = None, ip: str = "") -> int:
    if stance not in codes(STANCES):
        raise Invalid("Please correct the marked fields.", errors={"stance": "Choose one of the listed options."})
    if not (text or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"text": "This field is required."})
    if principal.role == "resident":
        person, organisation = principal.person_id, None

    async def insert(row):
        # Whose opinion it is: a resident or an organisation of the case's own community, never
        # another station's (council/core/scope.py).
        if principal.role != "resident":
            await scope.ensure_in_scope(principal, "person", person, field="person", station=row["station"])
            await scope.ensure_in_scope(principal, "organisation", organisation, field="organisation",
                                        station=row["station"])
        return (await Opinion.insert(Opinion(case=case_id, person=person, organisation=organisation, stance=stance,
                                             text=text.strip(), created_by=principal.user_id or None,
                                             created_at=now())))[0]["id"]

    return await _step_record(principal, case_id, policy.can_give_opinion, insert, "opinion",
                              {"stance": stance, "text": text.strip()}, ip)


async def add_option(principal: Principal, case_id: int, *, title: str, description: str = "", ip: str = "") -> int:
    if not (title or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"title": "This field is required."})

    async def insert(row):
        return (await Option.insert(Option(case=case_id, title=title.strip(), description=description.strip())))[0]["id"]

    return await _step_record(principal, case_id, policy.can_steer, insert, "option", {"title": title.strip()}, ip)


async def prefer_option(principal: Principal, case_id: int, option_id: int, ip: str = "") -> None:
    async def insert(row):
        if not await Option.exists().where((Option.id == option_id) & (Option.case == case_id)):
            raise Invalid("Please correct the marked fields.", errors={"option": "Choose one of the listed options."})
        await Option.update({Option.preferred: False}).where(Option.case == case_id)
        await Option.update({Option.preferred: True}).where(Option.id == option_id)
        return option_id

    await _step_record(principal, case_id, policy.can_steer, insert, "option_preferred", {"option": option_id}, ip)


async def add_task(principal: Principal, case_id: int, *, what: str, organisation: int | None = None,
                   responsible: str = "", due: dt.date | str | None = None, source: str = "", ip: str = "") -> int:
    errors = {}
    if not (what or "").strip():
        errors["what"] = "This field is required."
    if isinstance(due, str) and due:
        try:
            due = dt.date.fromisoformat(due)
        except ValueError:
            errors["due_date"] = "Enter a date like 2026-11-30."
    if errors:
        raise Invalid("Please correct the marked fields.", errors=errors)

    async def insert(row):
        # A task cannot fall due before its case existed: the date is a typo, or the task
        # belongs to another case.
        if due and due < local_date(row["created_at"]):
            raise Invalid("Please correct the marked fields.",
                          errors={"due_date": "A task cannot be due before the case was registered."})
        await scope.ensure_in_scope(principal, "organisation", organisation, field="organisation", station=row["station"])
        return (await Task.insert(Task(case=case_id, what=what.strip(), organisation=organisation,
                                       responsible=(responsible or "").strip(), due_date=due or None,
                                       source=source)))[0]["id"]

    return await _step_record(principal, case_id, policy.can_steer, insert, "task",
                              {"what": what.strip(), "organisation": organisation, "due_date": due or None}, ip)


async def update_task(principal: Principal, case_id: int, task_id: int, *, status: str, note: str = "",
                      evidence: str = "", version: Any = None, ip: str = "") -> None:
    if status not in codes(TASK_STATUSES):
        raise Invalid("Please correct the marked fields.", errors={"status": "Choose one of the listed options."})
    note = (note or "").strip()
    if status == "cancelled" and not note:
        # A dropped task lets its case close: the file must say why it was dropped.
        raise Invalid("Please correct the marked fields.", errors={"note": "Give the reason for cancelling this task."})
    async with db.write():
        row = await load_case(principal, case_id)
        task = await Task.select().where((Task.id == task_id) & (Task.case == case_id)).first()
        require(policy.can_update_task(principal, view_of(row), task["organisation"] if task else None)
                or policy.can_follow_up(principal, view_of(row)))
        if status == "cancelled" and (task is None or task["status"] != "cancelled"):
            # Dropping part of the plan is the case owner's decision, not the handler's.
            require(policy.can_steer(principal, view_of(row)))
        if task is None:
            raise Invalid("Please correct the marked fields.", errors={"task": "Choose one of the listed options."})
        expected = task["version"] if version is None else int(version)
        reason = note if status == "cancelled" else ""
        done = await Task.update({Task.status: status, Task.evidence: evidence or task["evidence"],
                                  Task.cancel_reason: reason, Task.version: expected + 1}).where(
            (Task.id == task_id) & (Task.version == expected)).returning(Task.id)
        if not done:
            raise Conflict("Someone else changed this task after you opened it. Reload to see their changes.")
        kind = "task_cancelled" if status == "cancelled" and task["status"] != "cancelled" else "task_progress"
        await add_event(principal, case_id, kind, text=note,
                        data={"task": task_id, "from": task["status"], "to": status})
        await audit.record(principal, f"case.{kind}", entity_type="case", entity_id=case_id,
                           before={"task": task_id, "status": task["status"],
                                   **({"cancel_reason": task["cancel_reason"]} if task["cancel_reason"] else {})},
                           after={"task": task_id, "status": status, **({"cancel_reason": reason} if reason else {})},
                           station_id=row["station"], ip=ip)


def _amount(raw: Any) -> Any:
    try:
        value = parse_decimal(raw)
    except ValueError as e:
        raise Invalid("Please correct the marked fields.", errors={"amount": str(e)}) from None
    if value <= 0:
        raise Invalid("Please correct the marked fields.", errors={"amount": "Enter an amount greater than 0."})
    return value


async def add_budget_line(principal: Principal, case_id: int, *, item: str, amount: Any, ip: str = "") -> int:
    value = _amount(amount)
    if not (item or "").strip():
        raise Invalid("Please correct the marked fields.", errors={"item": "This field is required."})

    async def insert(row):
        return (await BudgetLine.insert(BudgetLine(case=case_id, item=item.strip(), amount=value)))[0]["id"]

    return await _step_record(principal, case_id, policy.can_steer, insert, "budget_line",
                              {"item": item.strip(), "amount": value}, ip)


async def add_funding_source(principal: Principal, case_id: int, *, source: str, amount: Any, note: str = "",
                             ip: str = "") -> int:
    value = _amount(amount)
    if source not in codes(FUNDING_SOURCES):
        raise Invalid("Please correct the marked fields.", errors={"source": "Choose one of the listed options."})

    async def insert(row):
        return (await FundingSource.insert(FundingSource(case=case_id, source=source, amount=value,
                                                         note=(note or "").strip())))[0]["id"]

    return await _step_record(principal, case_id, policy.can_steer, insert, "funding_source",
                              {"source": source, "amount": value}, ip)


async def set_funding_not_needed(principal: Principal, case_id: int, not_needed: bool, reason: str = "",
                                 ip: str = "") -> None:
    async with db.write():
        row = await load_case(principal, case_id)
        _proposal(row)
        require(policy.can_steer(principal, view_of(row)))
        if not_needed and not reason.strip():
            raise Invalid("Please correct the marked fields.", errors={"reason": "Give a reason for this action."})
        await set_state(principal, row, {"funding_not_needed": not_needed}, event="funding_not_needed", text=reason, ip=ip)


async def add_pledge(principal: Principal, case_id: int, *, unit: int, amount: Any, ip: str = "") -> int:
    value = _amount(amount)
    if unit is None:
        raise Invalid("Please correct the marked fields.", errors={"unit": "This field is required."})

    async def insert(row):
        await scope.ensure_in_scope(principal, "unit", unit, field="unit", station=row["station"])
        try:
            return (await Pledge.insert(Pledge(case=case_id, unit=unit, amount=value)))[0]["id"]
        except Exception as e:
            if db.is_unique_violation(e):
                raise Conflict("This household has already pledged for this proposal.") from None
            raise

    return await _step_record(principal, case_id, policy.can_follow_up, insert, "pledge", {"unit": unit, "amount": value}, ip)


async def add_rating(principal: Principal, case_id: int, *, rating: str, unit: int | None = None, comment: str = "",
                     ip: str = "") -> int:
    """One rating per household for a proposal; a request's reporter rates through the loop."""
    if rating not in codes(RATINGS):
        raise Invalid("Please correct the marked fields.", errors={"rating": "Choose one of the listed options."})
    if unit is None:
        raise Invalid("Please correct the marked fields.", errors={"unit": "This field is required."})

    async def insert(row):
        if row["state"] != "evaluate":
            raise Conflict("Ratings are taken at the evaluate step.")
        await scope.ensure_in_scope(principal, "unit", unit, field="unit", station=row["station"])
        try:
            return (await Rating.insert(Rating(case=case_id, unit=unit, rating=rating, comment=(comment or "").strip(),
                                               created_by=principal.user_id or None, created_at=now())))[0]["id"]
        except Exception as e:
            if db.is_unique_violation(e):
                raise Conflict("This household has already rated this proposal.") from None
            raise

    return await _step_record(principal, case_id, policy.can_rate, insert, "rating", {"unit": unit, "rating": rating}, ip)


async def record_vote(principal: Principal, case_id: int, *, vote: Any = None, vote_ref: Any = None,
                      result: Any = None, version: Any = None, ip: str = "") -> dict:
    """The decide step takes its result from a closed vote of this station linked to this
    proposal, copying the vote's frozen result (council.cases.decision). `vote` is the vote's
    number; `vote_ref` (the old free-text field) is read only as a vote number. A result typed
    by hand is refused, and so is a reference that is not a vote of this system."""
    from council.votes.tables import Vote

    if result not in (None, ""):
        raise Invalid(decision.BY_HAND, errors={"result": decision.BY_HAND})
    try:
        vote_id = decision.vote_id_of(vote if vote not in (None, "") else vote_ref)
    except decision.DecisionRefused as e:
        raise Invalid(e.message, errors={e.field: e.message}) from None
    async with db.write():
        row = await load_case(principal, case_id)
        _proposal(row)
        require(policy.can_steer(principal, view_of(row)))
        if row["state"] != "decide":
            raise Conflict("This action is not possible at the case's current step.")
        found = await Vote.select(Vote.id, Vote.station, Vote.case, Vote.state, Vote.passed).where(
            Vote.id == vote_id).first()
        # Votes on one proposal run one at a time, so the highest id is the newest closed vote.
        newest = await Vote.select(Vote.id).where((Vote.case == case_id) & (Vote.state == "closed")).order_by(
            Vote.id, ascending=False).first()
        try:
            outcome = decision.result_from_vote(
                case_id, row["station"], decision.VoteFacts(**found) if found else None,
                newest["id"] if newest else None)
        except decision.DecisionRefused as e:
            raise Conflict(e.message, errors={e.field: e.message}) from None
        ref = f"/votes/{vote_id}"
        row = await set_state(principal, row, {"vote_ref": ref, "vote_result": outcome},
                              event="vote_linked", data={"vote": vote_id, "result": outcome}, ip=ip)
    return await move_proposal(principal, case_id, "record_vote", version=row["version"], ip=ip)
