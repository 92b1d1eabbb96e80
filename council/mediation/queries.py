"""Reading dispute files: the list, one file with everything on it, the confirmation windows about
to close, and the statistics. Role and station are checked here too: reads are scoped."""

from __future__ import annotations

import datetime as dt

from council import db
from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.accounts.tables import User
from council.cases.calendar_store import calendar_for, today
from council.cases.tables import Case
from council.core.errors import Invalid
from council.mediation import policy, rules, stats, store, vocabulary
from council.mediation.agreements import agreement_effect, agreement_of
from council.mediation.files import facts_for
from council.mediation.judicial import deadline_for, decision
from council.mediation.machine import CLOSED_STATES, MACHINE, OPEN_STATES
from council.mediation.performance import obligation_state
from council.mediation.sessions import sessions_of
from council.mediation.tables import (
    AgreementObligation, AgreementSignature, DisputeFile, DisputeMediator, DisputeParty, FollowUpVisit,
    JudicialConfirmation, MediationCommittee, ObligationPerformance,
)

PER_PAGE = 50


def _stations(principal: Principal, station: int | None) -> list[int] | None:
    """None: every station (admin); else the stations the principal may read, narrowed to `station`."""
    store.require_role(principal)
    if station is not None:
        store.require_station(principal, station, reading=True)
        return [station]
    return None if principal.role == Role.admin else sorted(principal.station_ids)


def _statistics_stations(principal: Principal, station: int | None) -> list[int] | None:
    """As _stations, and the street and district officers too: they file the people's mediation
    statistics of the stations under them (issue 18) — counts only, never a file — while the files
    themselves stay with the mediators and the judicial office."""
    from council.accounts.permissions import OVERSIGHT
    from council.core.errors import NotFound

    if principal.role not in OVERSIGHT:
        return _stations(principal, station)
    if station is not None:
        if station not in principal.station_ids:
            raise NotFound()
        return [station]
    return sorted(principal.station_ids)


async def list_files(principal: Principal, *, state: str = "", station: int | None = None, q: str = "",
                     page: int = 1) -> tuple[list[dict], int]:
    stations = _stations(principal, station)
    where = DisputeFile.id > 0
    if stations is not None:
        where &= DisputeFile.station.is_in(stations or [-1])
    if state == "open":
        where &= DisputeFile.case.state.is_in(list(OPEN_STATES))
    elif state:
        where &= DisputeFile.case.state == state
    if q:
        from council.db import contains

        where &= contains(DisputeFile.case.title, q) | contains(DisputeFile.number, q)
    total = await DisputeFile.count().where(where)
    rows = await DisputeFile.select(
        DisputeFile.all_columns(), DisputeFile.case.state.as_alias("state"), DisputeFile.case.title.as_alias("title"),
    ).where(where).order_by(DisputeFile.opened_on, ascending=False).order_by(DisputeFile.id, ascending=False).limit(
        PER_PAGE).offset(db.page_offset(page, PER_PAGE))
    day = today()
    for r in rows:
        r["days_open"] = rules.days_open(r["opened_on"], r["closed_on"] or day)
        r["flagged"] = rules.open_too_long(r["opened_on"], day, closed=r["state"] in CLOSED_STATES)
    return rows, total


async def disputes_without_file(principal: Principal, station: int | None = None) -> list[dict]:
    """Dispute cases registered elsewhere (case intake, reception desk) that have no mediation
    file yet, oldest first: the mediator opens one for each."""
    stations = _stations(principal, station)
    where = (Case.kind == "dispute") & Case.state.is_in(list(OPEN_STATES))
    if stations is not None:
        where &= Case.station.is_in(stations or [-1])
    filed = DisputeFile.select(DisputeFile.case)
    rows = await Case.select(Case.id, Case.number, Case.title, Case.created_at, Case.station).where(
        where & Case.id.not_in(filed)).order_by(Case.created_at).limit(200)
    return rows


async def case_link(principal: Principal, case: dict) -> dict | None:
    """For a dispute's case page: its mediation file (id, number), or none yet — then the page
    offers to open it. None when the reader may not work on mediation at the case's station:
    the page shows no link to what they cannot open."""
    if not policy.can_work_on(principal, case["station"]):
        return None
    row = await DisputeFile.select(DisputeFile.id, DisputeFile.number).where(DisputeFile.case == case["id"]).first()
    return {"file": row, "categories": vocabulary.CATEGORIES, "sources": vocabulary.SOURCES}


async def file_detail(principal: Principal, dispute_id: int) -> dict:
    f = await store.load_file(principal, dispute_id, reading=True)
    day = today()
    f["committee_name"] = (await MediationCommittee.select(MediationCommittee.name).where(
        MediationCommittee.id == f["committee"]).first())["name"]
    f["parties"] = await DisputeParty.select().where(DisputeParty.dispute == dispute_id).order_by(DisputeParty.id)
    f["mediators"] = await DisputeMediator.select(
        DisputeMediator.user, DisputeMediator.lead, DisputeMediator.user.display_name.as_alias("name"),
    ).where(DisputeMediator.dispute == dispute_id).order_by(DisputeMediator.lead, ascending=False)
    f["sessions"] = await sessions_of(dispute_id)
    wanted = {u for s in f["sessions"] for u in s["mediators"]}
    names = {u["id"]: u["display_name"] for u in await User.select(User.id, User.display_name).where(
        User.id.is_in(sorted(wanted) or [-1]))}
    for s in f["sessions"]:
        s["mediator_names"] = [names.get(u, "?") for u in s["mediators"]]
    f["flagged"] = rules.open_too_long(f["opened_on"], day, closed=f["state"] in CLOSED_STATES)
    f["days_open"] = rules.days_open(f["opened_on"], f["closed_on"] or day)
    facts = await facts_for(f)
    f["moves"] = MACHINE.allowed(f["state"], facts)
    f["facts"] = facts
    f["next_level"] = rules.next_level(f["level"]) if f["state"] in OPEN_STATES else None
    a = await agreement_of(dispute_id)
    f["agreement"] = a
    f["effect"] = None
    f["obligations"] = []
    f["confirmation"] = await JudicialConfirmation.select().where(JudicialConfirmation.dispute == dispute_id).first()
    f["decision"] = decision(f["confirmation"], day)
    f["mediator_ids"] = [m["user"] for m in f["mediators"]]
    if a:
        f["effect"] = await agreement_effect(dispute_id, a)
        sigs = await AgreementSignature.select().where(AgreementSignature.agreement == a["id"])
        f["signatures"] = {s["party"]: s for s in sigs}
        party_names = {p["id"]: p["name"] for p in f["parties"]}
        for o in await AgreementObligation.select().where(AgreementObligation.agreement == a["id"]).order_by(
                AgreementObligation.position):
            o["party_name"] = party_names.get(o["party"], "")
            o["status"] = await obligation_state(o, day)
            o["performances"] = await ObligationPerformance.select().where(
                ObligationPerformance.obligation == o["id"]).order_by(ObligationPerformance.performed_on)
            f["obligations"].append(o)
        f["eligibility"] = rules.eligibility(form=a["form"], status_matter=a["status_matter"],
                                             effective=bool(f["effect"] and f["effect"].effective))
        f["deadline"] = None
        f["window"] = None
        if f["effect"] and f["effect"].effective and f["eligibility"] is None:
            f["deadline"] = await deadline_for(f["station"], f["effect"].effective_on)
            f["window"] = rules.window_state(f["deadline"], day, applied=f["confirmation"] is not None)
    f["followups"] = await FollowUpVisit.select(
        FollowUpVisit.all_columns(), FollowUpVisit.visited_by.display_name.as_alias("visitor"),
    ).where(FollowUpVisit.dispute == dispute_id).order_by(FollowUpVisit.visited_on)
    return f


async def closing_windows(principal: Principal, station: int | None = None) -> list[dict]:
    """Effective written agreements whose 30-day window is still open and not yet used,
    soonest first; `window` says closing (within a week) or open."""
    stations = _stations(principal, station)
    args: list = [today() - dt.timedelta(days=rules.CONFIRMATION_DAYS + 40)]
    where = "" if stations is None else " AND " + db.in_list('d."station"', stations, args)
    # One statement, written out: on the home page of every mediator and secretary, and Piccolo's
    # three-table join chain (agreement → file → case) cost more to build than to run (issue 19).
    rows = await db.fetch(
        'SELECT a."dispute", a."effective_on", d."number" AS "number", d."station" AS "station", '
        'c."title" AS "title" FROM "mediation_agreement" a JOIN "dispute_file" d ON d."id" = a."dispute" '
        'JOIN "case_file" c ON c."id" = d."case" WHERE a."effective_on" IS NOT NULL AND a."form" = \'written\' '
        'AND a."status_matter" = \'none\' AND a."effective_on" >= {}' + where + ' AND NOT EXISTS '
        '(SELECT 1 FROM "judicial_confirmation" j WHERE j."dispute" = a."dispute")', *args)
    out = []
    day = today()
    calendars: dict[int, object] = {}
    for r in rows:
        if r["station"] not in calendars:  # one calendar read per station, not per agreement
            calendars[r["station"]] = await calendar_for(r["station"])
        cal = calendars[r["station"]]
        deadline = rules.confirmation_deadline(r["effective_on"], lambda d, cal=cal: not cal.is_working_day(d))
        state = rules.window_state(deadline, day, applied=False)
        if state in ("open", "closing"):
            out.append({**r, "deadline": deadline, "window": state, "days_left": (deadline - day).days})
    out.sort(key=lambda r: r["deadline"])
    return out


async def court_decisions_due(principal: Principal, station: int | None = None) -> list[dict]:
    """Applications for judicial confirmation with no ruling recorded whose court decision
    period (15 days from acceptance, 25 if extended) runs out within 3 days or has run out:
    the mediator asks the court, or records the ruling. Soonest first."""
    stations = _stations(principal, station)
    where = JudicialConfirmation.ruling == ""
    if stations is not None:
        where &= JudicialConfirmation.dispute.station.is_in(stations or [-1])
    rows = await JudicialConfirmation.select(
        JudicialConfirmation.all_columns(), JudicialConfirmation.dispute.number.as_alias("number"),
        JudicialConfirmation.dispute.station.as_alias("station"),
        JudicialConfirmation.dispute.case.title.as_alias("title"),
    ).where(where)
    day = today()
    out = []
    for r in rows:
        d = decision(r, day)
        if d["state"] in ("overdue", "due_soon"):
            out.append({**r, "decision_deadline": d["deadline"], "decision_state": d["state"],
                        "days_left": d["days_left"]})
    out.sort(key=lambda r: r["decision_deadline"])
    return out


async def statistics(principal: Principal, *, station: int | None, start: dt.date, end: dt.date) -> dict:
    """Files received between start and end (inclusive), and what became of them so far."""
    if end < start:
        raise Invalid("Please correct the marked fields.", errors={"end": "The end is before the start."})
    stations = _statistics_stations(principal, station)
    from council.mediation.tables import MediationAgreement

    def scope(ref):
        """The same files, reached from whichever table is read (joins, not id lists)."""
        where = (ref.opened_on >= start) & (ref.opened_on <= end)
        return where if stations is None else where & ref.station.is_in(stations or [-1])

    files = await DisputeFile.select(
        DisputeFile.id, DisputeFile.category, DisputeFile.opened_on, DisputeFile.closed_on,
        DisputeFile.case.state.as_alias("state"),
    ).where(scope(DisputeFile))
    total = stats.Counts()
    by_category: dict[str, stats.Counts] = {}
    day = today()
    agreements = {a["dispute"]: a for a in await MediationAgreement.select().where(scope(MediationAgreement.dispute))}
    confirmations = {c["dispute"]: c for c in await JudicialConfirmation.select().where(
        scope(JudicialConfirmation.dispute))}
    # Terms and their performance for every agreement in effect, in two queries (not one per file).
    effective = {a["id"]: a["dispute"] for a in agreements.values() if a["effective_on"]}
    terms = [t for t in await AgreementObligation.select().where(scope(AgreementObligation.agreement.dispute))
             if t["agreement"] in effective]
    done: dict[int, list] = {}
    term_ids = [t["id"] for t in terms]
    # By id, in chunks: a three-level join's alias outgrows PostgreSQL's 63-character names.
    performances = []
    for i in range(0, len(term_ids), 500):
        performances += await ObligationPerformance.select().where(
            ObligationPerformance.obligation.is_in(term_ids[i:i + 500]))
    for p in performances:
        done.setdefault(p["obligation"], []).append(rules.Performance(p["performed_on"], p["amount"], p["complete"]))
    term_states: dict[int, list[str]] = {}
    for t in terms:
        st = rules.obligation_state(amount=t["amount"], due=t["due_date"], performances=done.get(t["id"], []), today=day)
        term_states.setdefault(effective[t["agreement"]], []).append(st.state)
    for f in files:
        counters = (total, by_category.setdefault(f["category"], stats.Counts()))
        for c in counters:
            c.received += 1
            if f["state"] in OPEN_STATES:
                c.open += 1
            elif hasattr(c, f["state"]):
                setattr(c, f["state"], getattr(c, f["state"]) + 1)
            if f["closed_on"]:
                c.closed_days.append((f["closed_on"] - f["opened_on"]).days)
            for state in term_states.get(f["id"], []):
                c.obligations_due += state in ("performed", "overdue")
                c.obligations_performed += state == "performed"
            conf = confirmations.get(f["id"])
            if conf:
                c.confirmation_applied += 1
                c.confirmed += conf["ruling"] == "confirmed"
                c.rejected += conf["ruling"] == "rejected"
    return {"total": stats.summary(total), "by_category": {k: stats.summary(v) for k, v in sorted(by_category.items())},
            "start": start, "end": end}


__all__ = ["list_files", "file_detail", "closing_windows", "court_decisions_due", "statistics", "Case"]
