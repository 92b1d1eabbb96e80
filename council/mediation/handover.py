"""A dispute handed over at the reception desk reaches mediation: its mediation file is opened
(numbered by the station's committee, source "applied": a party applied at the station), the
visitor becomes its applicant party, and the chosen mediator leads it — inside the caller's transaction, so the visit's outcome, the file and
the lead stand or fall together.

Permission rule. Whoever is on duty at the desk of the station may hand a dispute over, and that
may be a grid worker or a volunteer's account, who may not open mediation files
(council.mediation.policy). Handing over is not reading: the desk decides *that* a dispute goes
to mediation and *who* leads it, which is the desk's job on reception day. So for exactly these
steps — open_file, assign_mediator and add_party (the visitor) on this one case, at this one station — the mediation
use cases run with the desk worker's authority widened to the secretariat's (same user id and
name, so the timeline and the audit log name the real person), and nothing else. Afterwards the
file is read under the ordinary rule: the grid worker who handed it over gets no link to it and
a 403 if they try (files_for_cases below, and store.load_file).
"""

from __future__ import annotations

import dataclasses

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.tables import Case
from council.core.errors import NotFound, OutOfScope
from council.mediation import files, policy
from council.mediation.tables import DisputeFile
from council.mediation.vocabulary import CASE_CATEGORY
from council.reception import policy as desk_policy

# The case category a dispute was filed under → the mediation category it is counted under.
MEDIATION_CATEGORY = {case: mediation for mediation, case in CASE_CATEGORY.items()}


async def hand_over(principal: Principal, case_id: int, mediator_id: int, note: str = "", ip: str = "",
                    applicant: dict | None = None) -> dict:
    """Open the dispute's mediation file and make `mediator_id` its lead mediator. Call inside
    the desk's write transaction (db.write() nests: the inner block joins the outer one, and an
    error anywhere rolls back everything). Returns {"id", "number"} of the file.

    `applicant`: the visitor who brought the dispute — {"person", "name", "phone", "address"} —
    recorded as the file's applicant party (a party applied at the station), so the mediator
    types nothing twice. The person is linked when the visitor is a registered resident, and
    their registered name, phone and ID number fill what the desk did not say."""
    case = await Case.select(Case.id, Case.kind, Case.station, Case.category).where(Case.id == case_id).first()
    if case is None or case["kind"] != "dispute":
        raise NotFound()
    if not desk_policy.can_work_desk(principal, case["station"]):
        raise OutOfScope()
    acting = principal
    if not policy.can_work_on(principal, case["station"]):
        # On duty at this station's desk: act as its secretariat for these two steps only.
        acting = dataclasses.replace(principal, role=Role.secretary, station_ids=frozenset({case["station"]}))
    async with db.write():
        made = await files.open_file(acting, case_id, {
            "category": MEDIATION_CATEGORY.get(case["category"], "other"), "source": "applied",
            "source_detail": "接待日"}, ip=ip)
        await files.assign_mediator(acting, made["id"], {"user": mediator_id, "lead": True}, ip=ip)
        party = {k: v for k, v in (applicant or {}).items() if v not in (None, "")}
        if party.get("person") is not None or party.get("name"):
            await files.add_party(acting, made["id"], {"role": "applicant", "kind": "person", **party}, ip=ip)
        await audit.record(principal, "mediation.handover", entity_type="dispute_file", entity_id=made["id"],
                           after={"case": case_id, "number": made["number"], "mediator": mediator_id,
                                  "applicant": party.get("name") or party.get("person"),
                                  "note": note[:500], "by_role": principal.role,
                                  "delegated": acting is not principal},
                           station_id=case["station"], ip=ip)
    return {"id": made["id"], "number": made["number"]}


async def files_for_cases(principal: Principal, case_ids: list[int]) -> dict[int, dict]:
    """case id → {"id", "number"} of its mediation file, only for files this principal may open
    (the ordinary mediation rule: mediators, the secretariat and admins of the file's station)."""
    ids = [i for i in set(case_ids) if i]
    if not ids or not policy.can_use(principal):
        return {}
    rows = await DisputeFile.select(DisputeFile.id, DisputeFile.case, DisputeFile.number, DisputeFile.station).where(
        DisputeFile.case.is_in(ids))
    return {r["case"]: {"id": r["id"], "number": r["number"]} for r in rows
            if policy.can_work_on(principal, r["station"])}
