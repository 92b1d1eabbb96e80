"""The day's report and the totals a station reports upward, as plain data (picklable for the
PDF renderer). Contacts are always masked here: the report is printed and filed."""

from __future__ import annotations

import datetime as dt

from council import pdf
from council.accounts.principal import Principal
from council.audit import service as audit
from council.cases.calendar_store import LOCAL, categories_for, local_date
from council.cases.tables import Case
from council.core.localtime import local_time
from council.reception import queue, report
from council.reception.desk import day_visits
from council.reception.store import desk_station, duty_weeks, occurrence_on, reading
from council.reception.tables import Visit

OUTCOME_LABELS = dict(queue.OUTCOMES)
STATUS_LABELS = dict(queue.STATUSES)
KIND_LABELS = {"request": "Request", "proposal": "Proposal", "dispute": "Dispute"}


def _hm(moment: dt.datetime | None) -> str:
    return local_time(moment, "%H:%M")


async def day_report(principal: Principal, station_id: int | None, day: dt.date) -> dict:
    async with reading():  # one connection (and one snapshot) for the report's reads
        station = await desk_station(principal, station_id)
        visits = await day_visits(station["id"], day)
        labels = {c["code"]: c["label"] for c in await categories_for(station["id"])}
        occ = await occurrence_on(station, day)
        duty = [m["name"] for _, ms in await duty_weeks(station["id"], day, 1) for m in ms]
    summary = report.summarise_day(visits)
    rows = [{
        "ticket": v["ticket"], "arrived": _hm(v["arrived_at"]), "who": v["who"] or "—", "phone": v["phone_masked"],
        "unit": v["unit_number"] or "", "topic": v["topic"], "category": labels.get(v["category"], v["category"]),
        "status": STATUS_LABELS.get(v["status"], v["status"]), "outcome": OUTCOME_LABELS.get(v["outcome"], ""),
        "answer": v["answer"] if v["outcome"] == queue.ANSWERED else "",
        "case_number": v["case_number"] or "", "case_kind": KIND_LABELS.get(v["case_kind"], ""),
        "source": v["source"],
    } for v in visits]
    return {
        "station_id": station["id"], "station_name": station["name"], "day": day.isoformat(),
        "weekday": day.weekday(),
        "hours": f"{occ.start:%H:%M}–{occ.end:%H:%M}" if occ else "",
        "reception_day": occ is not None, "duty": duty,
        "visitors": summary.visitors, "done": summary.done, "waiting": summary.waiting, "left": summary.left,
        "answered": summary.answered, "cases_opened": summary.cases_opened, "news": summary.news,
        "by_category": [(labels.get(c, c), n) for c, n in summary.by_category],
        "by_outcome": [(OUTCOME_LABELS[o], n) for o, n in summary.by_outcome],
        "by_case_kind": [(KIND_LABELS[k], n) for k, n in summary.by_case_kind],
        "answers": [r for r in rows if r["answer"]],
        "cases": [r for r in rows if r["case_number"] and r["outcome"] == OUTCOME_LABELS[queue.CASE]],
        "rows": rows,
    }


# The printed report is filed and sent upward: always in Chinese, whatever the reader's screen language.
REPORT_LOCALE = "zh_CN"


async def day_pdf(principal: Principal, station_id: int | None, day: dt.date, ip: str = "") -> bytes:
    ctx = await day_report(principal, station_id, day)
    from council.stations.emblem import pdf_emblem

    content = await pdf.render("pdf/reception_day.html", {**ctx, "station_emblem": await pdf_emblem(ctx["station_id"])},
                               REPORT_LOCALE)
    await audit.record(principal, "reception.report.print", entity_type="station", entity_id=ctx["station_id"],
                       after={"day": ctx["day"], "visitors": ctx["visitors"]}, station_id=ctx["station_id"], ip=ip)
    return content


def _utc_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(0), LOCAL).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), LOCAL).astimezone(dt.timezone.utc)
    return start, end


async def period_totals(principal: Principal, station_id: int | None, kind: str, day: dt.date, count: int = 4) -> dict:
    """Totals for the period containing `day` and the `count - 1` before it (newest first)."""
    station = await desk_station(principal, station_id)
    first_all, _ = report.period_bounds(kind, report.shift(kind, day, -(count - 1)))
    _, last_all = report.period_bounds(kind, day)
    visits = await Visit.select(Visit.day, Visit.status, Visit.outcome, Visit.number).where(
        (Visit.station == station["id"]) & (Visit.day >= first_all) & (Visit.day <= last_all))
    start, end = _utc_bounds(first_all, last_all)
    opened = [local_date(r["created_at"]) for r in await Case.select(Case.created_at).where(
        (Case.station == station["id"]) & (Case.created_at >= start) & (Case.created_at < end))]
    closed = [local_date(r["closed_at"]) for r in await Case.select(Case.closed_at).where(
        (Case.station == station["id"]) & Case.closed_at.is_not_null() & (Case.closed_at >= start) & (Case.closed_at < end))]
    periods = []
    for i in range(count):
        first, last = report.period_bounds(kind, report.shift(kind, day, -i))
        t = report.totals(first, last, visits, opened, closed)
        periods.append({"first": first.isoformat(), "last": last.isoformat(), "reception_days": t.reception_days,
                        "visitors": t.visitors, "answers_given": t.answers_given,
                        "services_provided": t.services_provided,
                        "cases_opened_at_reception": t.cases_opened_at_reception,
                        "cases_opened": t.cases_opened, "cases_closed": t.cases_closed})
    return {"station_id": station["id"], "station_name": station["name"], "kind": kind, "day": day.isoformat(),
            "periods": periods}
