"""Scheduled notifications. Runs in whichever worker holds the "scheduler" lease (one across
every process), every minute.

Each job looks at the state of things now — not at the time since its last run — and names each
reminder by a key of what it is about (the case and its deadline, the meeting and its start time,
the vote, the station and the year). So a scheduler that was down for a day catches up on its first
run, and the dedup key (council.notify.outbox) keeps any reminder from going out twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from council import db
from council.core.localtime import LOCAL, local_time
from council.notify import recipients as who
from council.notify.outbox import enqueue

log = logging.getLogger("council.notify")

OPEN_HANDLING = ("dispatched", "handling")
JUDICIAL_MARKS = (7, 2)  # days before the window for judicial confirmation closes
DIGEST_HOUR = 8


def _case_params(row: dict) -> dict:
    return {"case": row["id"], "number": row["number"], "title": row["title"][:60],
            "due": row["due_date"].isoformat() if row["due_date"] else ""}


async def deadlines(today: dt.date) -> int:
    """A working day before the deadline: the organisation. After it: the organisation is chased
    and the station's secretaries get a copy."""
    from council.cases.calendar_store import calendar_for
    from council.cases.tables import Case

    rows = await Case.select(Case.id, Case.number, Case.title, Case.station, Case.organisation, Case.due_date,
                             Case.state, Case.priority).where(
        (Case.kind == "request") & Case.state.is_in(list(OPEN_HANDLING)) & Case.due_date.is_not_null()
        & (Case.due_date <= today + dt.timedelta(days=14)))
    calendars: dict[int, object] = {}
    written = 0
    for row in rows:
        cal = calendars.get(row["station"]) or await calendar_for(row["station"])
        calendars[row["station"]] = cal
        due = row["due_date"]
        async with db.write():
            if due < today:
                targets = who.merge(await who.organisation(row["organisation"], link=("case_handle", row["id"])),
                                    await who.station_staff(row["station"]))
                written += await enqueue("request.overdue", f"request.overdue:case:{row['id']}:{due}", targets,
                                         _case_params(row), case_id=row["id"], urgent=row["priority"] == "urgent")
            elif due == cal.add_working_days(today, 1):
                targets = await who.organisation(row["organisation"], link=("case_handle", row["id"]))
                written += await enqueue("request.due_soon", f"request.due_soon:case:{row['id']}:{due}", targets,
                                         _case_params(row), case_id=row["id"])
    return written


async def judicial_windows(today: dt.date) -> int:
    """The 30 days to apply for judicial confirmation: reminders 7 and 2 days before they end,
    while nobody has applied."""
    from council.mediation.judicial import deadline_for
    from council.mediation.tables import DisputeFile, DisputeMediator, JudicialConfirmation, MediationAgreement

    agreements = await MediationAgreement.select(MediationAgreement.dispute, MediationAgreement.effective_on).where(
        MediationAgreement.effective_on.is_not_null() & (MediationAgreement.effective_on >= today - dt.timedelta(days=45)))
    written = 0
    for a in agreements:
        if await JudicialConfirmation.exists().where(JudicialConfirmation.dispute == a["dispute"]):
            continue
        f = await DisputeFile.select(DisputeFile.id, DisputeFile.number, DisputeFile.case, DisputeFile.station).where(
            DisputeFile.id == a["dispute"]).first()
        until = await deadline_for(f["station"], a["effective_on"])
        left = (until - today).days
        mark = next((m for m in sorted(JUDICIAL_MARKS) if 0 <= left <= m), None)
        if mark is None:
            continue
        async with db.write():
            mediators = await DisputeMediator.select(DisputeMediator.user).where(DisputeMediator.dispute == f["id"])
            targets = who.merge(await who.dispute_parties(f["id"]), await who.users(m["user"] for m in mediators))
            written += await enqueue("judicial.window", f"judicial.window:file:{f['id']}:{until}:{mark}", targets,
                                     {"file": f["number"], "days": left, "until": until.isoformat()}, case_id=f["case"])
    return written


async def obligations(today: dt.date) -> int:
    """An agreement's terms (Art. 31: the committee supervises performance): the day before a term
    falls due, on its due day, and once when it is overdue — to the party who must perform (at
    their phone, when they consented to mediation) and to the file's mediators."""
    from council.mediation.rules import Performance, obligation_state
    from council.mediation.tables import (AgreementObligation, DisputeFile, DisputeMediator, DisputeParty,
                                          ObligationPerformance)
    from council.notify.rules import OBLIGATION_OVERDUE_DAYS, obligation_mark

    rows = await AgreementObligation.select(
        AgreementObligation.id, AgreementObligation.party, AgreementObligation.what, AgreementObligation.amount,
        AgreementObligation.due_date, AgreementObligation.agreement.dispute.as_alias("dispute")).where(
        AgreementObligation.agreement.effective_on.is_not_null() & AgreementObligation.due_date.is_not_null()
        & (AgreementObligation.due_date >= today - dt.timedelta(days=OBLIGATION_OVERDUE_DAYS))
        & (AgreementObligation.due_date <= today + dt.timedelta(days=1)))
    if not rows:
        return 0
    done: dict[int, list] = {}
    for p in await ObligationPerformance.select().where(ObligationPerformance.obligation.is_in([r["id"] for r in rows])):
        done.setdefault(p["obligation"], []).append(Performance(p["performed_on"], p["amount"], p["complete"]))
    due = []
    for r in rows:
        state = obligation_state(amount=r["amount"], due=r["due_date"], performances=done.get(r["id"], []), today=today)
        mark = obligation_mark(r["due_date"], today, performed=state.state == "performed")
        if mark:
            due.append((r, mark))
    if not due:
        return 0
    files = {f["id"]: f for f in await DisputeFile.select(DisputeFile.id, DisputeFile.number, DisputeFile.case).where(
        DisputeFile.id.is_in(list({r["dispute"] for r, _ in due})))}
    names = {p["id"]: p["name"] for p in await DisputeParty.select(DisputeParty.id, DisputeParty.name).where(
        DisputeParty.id.is_in(list({r["party"] for r, _ in due})))}
    written = 0
    for r, mark in due:
        f = files[r["dispute"]]
        async with db.write():
            mediators = await DisputeMediator.select(DisputeMediator.user).where(DisputeMediator.dispute == f["id"])
            obliged = [t for t in await who.dispute_parties(f["id"]) if t.key == f"party:{r['party']}"]
            targets = who.merge(obliged, await who.users(m["user"] for m in mediators))
            event = f"obligation.{'overdue' if mark == 'overdue' else 'due_' + mark}"
            written += await enqueue(event, f"{event}:obligation:{r['id']}:{r['due_date']}", targets,
                                     {"file": f["number"], "what": r["what"][:60], "party": names.get(r["party"], "")[:40],
                                      "due": r["due_date"].isoformat()}, case_id=f["case"])
    return written


async def duty_roster(now: dt.datetime) -> int:
    """The day before a reception day (书记接待日), from 08:00: whoever is on duty that week (the
    roster's rotation with approved swaps). Keyed by the station and the day, per recipient: a
    swap approved after the reminder went out reaches the member who takes over."""
    from council.notify.rules import duty_reminder_due
    from council.reception import store as reception
    from council.stations.tables import Station

    local = now.astimezone(LOCAL)
    today = local.date()
    stations = await Station.select(Station.id, Station.name, Station.reception_weekday, Station.reception_start,
                                    Station.reception_end).where(
        Station.reception_start.is_not_null() & Station.reception_end.is_not_null())
    written = 0
    for st in stations:
        for occ in await reception.occurrences(st, today, today + dt.timedelta(days=1)):
            if not duty_reminder_due(local, occ.day, occ.start):
                continue
            plan = await reception.duty_weeks(st["id"], occ.day, 1)
            members = plan[0][1] if plan else []
            if not members:
                continue
            async with db.write():
                targets = who.merge(await who.users(m["user"] for m in members if m["user"]),
                                    await who.residents(m["person"] for m in members if m["person"] and not m["user"]))
                written += await enqueue(
                    "roster.duty", f"roster.duty:station:{st['id']}:{occ.day}", targets,
                    {"station": st["name"][:40], "day": occ.day.isoformat(), "start": occ.start.strftime("%H:%M"),
                     "end": occ.end.strftime("%H:%M")})
    return written


async def meetings(now: dt.datetime) -> int:
    """A day before and an hour before a scheduled meeting, to its parties, chair and recorder."""
    from council.meetings.tables import Meeting
    from council.notify.events import _meeting_parties

    rows = await Meeting.select().where((Meeting.state == "scheduled") & (Meeting.starts_at > now)
                                        & (Meeting.starts_at <= now + dt.timedelta(hours=24)))
    written = 0
    for m in rows:
        event = "meeting.remind_hour" if m["starts_at"] - now <= dt.timedelta(hours=1) else "meeting.remind_day"
        async with db.write():
            targets = who.merge(await _meeting_parties(m["id"]), await who.users([m["chair"], m["recorder"]]))
            written += await enqueue(event, f"{event}:meeting:{m['id']}:{m['starts_at'].isoformat()}", targets,
                                     {"meeting": m["id"], "title": m["title"][:60], "when": local_time(m["starts_at"])})
    return written


async def votes_closing(now: dt.datetime) -> int:
    """A day before an open vote closes: the voters who have not voted."""
    from council.votes.tables import Vote, VoteBallot, VoteVoter

    rows = await Vote.select(Vote.id, Vote.title, Vote.closes_at, Vote.case).where(
        (Vote.state == "open") & Vote.closes_at.is_not_null() & (Vote.closes_at > now)
        & (Vote.closes_at <= now + dt.timedelta(hours=24)))
    written = 0
    for v in rows:
        voted = {b["voter"] for b in await VoteBallot.select(VoteBallot.voter).where(VoteBallot.vote == v["id"])}
        voters = await VoteVoter.select(VoteVoter.id, VoteVoter.person).where(VoteVoter.vote == v["id"])
        by_person = {x["person"]: x["id"] for x in voters if x["person"] and x["id"] not in voted}
        async with db.write():
            targets = await who.residents(by_person)
            for t in targets:
                if t.key.startswith("person:"):
                    t.extra = {"voter": by_person.get(int(t.key[7:]))}
            written += await enqueue("vote.closing", f"vote.closing:vote:{v['id']}", targets,
                                     {"vote": v["id"], "title": v["title"][:60], "closes": local_time(v["closes_at"]),
                                      "case": v["case"]}, case_id=v["case"])
    return written


async def holidays(today: dt.date) -> int:
    """From November on, a station whose holiday calendar has nothing for next year: its secretaries."""
    from council.cases.tables import StationHoliday
    from council.stations.tables import Station

    if today.month < 11:
        return 0
    year = today.year + 1
    written = 0
    for st in await Station.select(Station.id):
        if await StationHoliday.exists().where((StationHoliday.station == st["id"])
                                               & (StationHoliday.day >= dt.date(year, 1, 1))
                                               & (StationHoliday.day <= dt.date(year, 12, 31))):
            continue
        async with db.write():
            written += await enqueue("holidays.missing", f"holidays.missing:station:{st['id']}:{year}",
                                     await who.station_staff(st["id"], ("secretary",), group=False), {"year": year})
    return written


async def digests(now: dt.datetime) -> int:
    """From 08:00, the messages held for readers who chose a daily digest: one message per
    recipient and channel, listing them."""
    from council.notify.tables import Outbox

    local = now.astimezone(LOCAL)
    if local.hour < DIGEST_HOUR:
        return 0
    written = 0
    async with db.write():
        held = await Outbox.select().where((Outbox.status == "held") & (Outbox.last_error == "")
                                           & (Outbox.event != "digest")).order_by(Outbox.id)
        groups: dict[tuple, list[dict]] = {}
        for r in held:
            groups.setdefault((r["recipient"], r["channel"], r["address"], r["locale"], r["recipient_label"]), []).append(r)
        for (recipient, channel, address, locale, label), items in groups.items():
            from council.notify.outbox import Target

            t = Target(recipient, label, locale, {channel: address})
            params = {"items": [{"event": i["event"], "params": i["params"] if isinstance(i["params"], dict)
                                 else __import__("json").loads(i["params"] or "{}")} for i in items[:50]]}
            written += await enqueue("digest", f"digest:{local.date()}:{items[0]['id']}", [t], params)
            await Outbox.update({Outbox.status: "digested"}).where(Outbox.id.is_in([i["id"] for i in items]))
    return written


async def run_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Every job once; returns how many messages each wrote."""
    now = now or dt.datetime.now(dt.timezone.utc)
    today = now.astimezone(LOCAL).date()
    out = {}
    for name, job, arg in (("deadlines", deadlines, today), ("judicial", judicial_windows, today),
                           ("obligations", obligations, today), ("duty", duty_roster, now),
                           ("meetings", meetings, now), ("votes", votes_closing, now),
                           ("holidays", holidays, today), ("digests", digests, now)):
        try:
            out[name] = await job(arg)
        except Exception:  # one job's failure must not stop the others
            log.exception("notify: scheduled job %s failed", name)
            out[name] = -1
    return out
