"""Reading the data for the reports and writing the workbooks. Permission: the station's
secretariat and admins (mediators too for the mediation table); stations outside the principal's
own are refused by the one scope rule (Principal.require_station)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from council.accounts.permissions import Role
from council.accounts.principal import Principal
from council.cases.tables import Case, Rating
from council.cases.vocabulary import CHANNELS
from council.core.errors import Forbidden, Invalid
from council.core.i18n import C_
from council.core.localtime import LOCAL
from council.reports.monthly import StationMonth, compute, percent
from council.stations.tables import Station

# The street and district officers file the stations' work reports and reception totals upward and
# the people's mediation statistics; the judicial office (司法所) collects the mediation statistics
# only. Each draws them for the stations under its area (principal.station_ids, stations_for).
_ABOVE = (Role.street_officer, Role.district_officer)
MONTHLY_ROLES = (Role.admin, Role.secretary, *_ABOVE)
MEDIATION_ROLES = (Role.admin, Role.secretary, Role.mediator, *_ABOVE, Role.judicial_officer)
# The reception-day totals: those who work the desk and read reports (council.reception.policy.DESK).
RECEPTION_ROLES = (Role.admin, Role.secretary, Role.mediator, *_ABOVE)


def month_range(month: str) -> tuple[int, dt.datetime, dt.datetime]:
    try:
        year, m = (int(p) for p in month.split("-"))
        start = dt.datetime(year, m, 1, tzinfo=LOCAL)
    except (ValueError, TypeError):
        raise Invalid("Please correct the marked fields.", errors={"month": "Enter a month as YYYY-MM."}) from None
    if not 2000 <= year <= 2100:
        raise Invalid("Please correct the marked fields.", errors={"month": "Enter a month as YYYY-MM."})
    end = dt.datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=LOCAL)
    return year * 100 + m, start, end


async def stations_for(principal: Principal, requested: list[int]) -> list[dict]:
    """The requested stations (all of the principal's when none), each checked against scope."""
    query = Station.select(Station.id, Station.name).order_by(Station.name)
    if principal.role != Role.admin:
        query = query.where(Station.id.is_in(list(principal.station_ids) or [-1]))
    mine = await query
    if not requested:
        return mine
    by_id = {s["id"]: s for s in mine}
    for sid in requested:
        if sid not in by_id:
            raise Forbidden()
    return [by_id[s] for s in requested]


async def monthly(principal: Principal, month: str, station_ids: list[int]) -> list[StationMonth]:
    """One StationMonth per chosen station (all of the principal's when none are chosen). Three
    statements whatever the number of stations: the rows of every station are read together and
    handed to the pure compute() station by station."""
    if principal.role not in MONTHLY_ROLES:
        raise Forbidden()
    key, start, end = month_range(month)
    stations = await stations_for(principal, station_ids)
    ids = [s["id"] for s in stations] or [-1]
    base = Case.station.is_in(ids) & (Case.kind != "dispute")
    received = await Case.select(Case.station, Case.channel, Case.category).where(base & (Case.created_month == key))
    done = await Case.select(Case.station, Case.id, Case.number, Case.title, Case.kind, Case.due_date,
                             Case.closed_at).where(base & (Case.closed_month == key) & Case.closed_at.is_not_null())
    ratings = await Rating.select(Rating.case.station.as_alias("station"), Rating.case, Rating.rating).where(
        Rating.case.station.is_in(ids) & (Rating.created_at >= start) & (Rating.created_at < end))

    by = {name: {} for name in ("received", "done", "ratings")}
    for name, rows in (("received", received), ("done", done), ("ratings", ratings)):
        for r in rows:
            by[name].setdefault(r["station"], []).append(r)
    return [compute(s["name"], by["received"].get(s["id"], []), by["done"].get(s["id"], []),
                    by["ratings"].get(s["id"], []), LOCAL) for s in stations]


def monthly_xlsx(months: list[StationMonth], month: str, _, category_labels: dict[str, str]) -> bytes:
    from council.core.tabular import write_xlsx_book

    channels = [c for c, _l in CHANNELS]
    summary = [[_("Station work report (议事驿站工作月报)") + f" {month}"], [],
               # Counts, not states ("Done" a task, "On time" a case, "Ratings" a section): msgctxt "count".
               [_("Station"), _("Received"), _(C_("count", "Done")), _("Requests done"), _(C_("count", "On time")),
                _("On-time rate"), _(C_("count", "Ratings")), _("Satisfaction")]]
    for m in months:
        summary.append([m.station, m.received, m.done, m.done_requests, m.on_time, percent(m.on_time_rate),
                        sum(m.ratings.values()), percent(m.satisfaction)])
    by_channel = [[_("Station")] + [_(label) for _c, label in CHANNELS]]
    by_channel += [[m.station] + [m.by_channel.get(c, 0) for c in channels] for m in months]
    categories = sorted({c for m in months for c in m.by_category})
    by_category = [[_("Station")] + [_(category_labels.get(c, c)) for c in categories]]
    by_category += [[m.station] + [m.by_category.get(c, 0) for c in categories] for m in months]
    typical = [[_("Station"), _("Number"), _("Title")]]
    typical += [[m.station, number, title] for m in months for number, title in m.typical]
    return write_xlsx_book([(_("Summary"), summary), (_("By channel"), by_channel),
                            (_("By category"), by_category), (_("Typical cases"), typical)])


async def mediation_xlsx(principal: Principal, start: dt.date, end: dt.date, station_ids: list[int], _) -> bytes:
    from council.core.tabular import write_xlsx_book
    from council.mediation.queries import statistics
    from council.mediation.stats import percent as pct
    from council.mediation.vocabulary import CATEGORIES

    if principal.role not in MEDIATION_ROLES:
        raise Forbidden()
    labels = dict(CATEGORIES)
    head = [_("Station"), _("Dispute type"), _("Received"), _("In progress"), _("Settled"), _("Not settled"),
            _("Withdrawn"), _("Terminated"), _("Refused by a party"), _("Success rate"), _("Obligations due"),
            _("Obligations performed"), _("Judicial confirmation applied"), _("Confirmed"), _(C_("ruling", "Rejected")),
            _("Average days to close")]
    rows = [[_("People's mediation statistics (人民调解案件统计)") + f" {start} – {end}"], [], head]
    for s in await stations_for(principal, station_ids):
        st = await statistics(principal, station=s["id"], start=start, end=end)
        for name, part in [*((labels.get(k, k), v) for k, v in st["by_category"].items()), (_("Total"), st["total"])]:
            c = part["counts"]
            rows.append([s["name"], _(name), c.received, c.open, c.settled, c.not_settled, c.withdrawn, c.terminated,
                         c.refused, pct(part["success_rate"]), c.obligations_due, c.obligations_performed,
                         c.confirmation_applied, c.confirmed, c.rejected, part["average_days_text"]])
    return write_xlsx_book([(_("Mediation statistics"), rows)])


async def reception(principal: Principal, start: dt.date, end: dt.date, station_ids: list[int]) -> list[dict]:
    """The reception-day totals (council.reception.report.totals, the definitions the station's own
    totals page uses) over [start, end] for each chosen station. Three statements whatever the
    number of stations: the visits, and the cases registered and closed, counted per station."""
    from council import db
    from council.reception import report
    from council.reception.tables import Visit

    if principal.role not in RECEPTION_ROLES:
        raise Forbidden()
    if start > end:
        raise Invalid("Please correct the marked fields.", errors={"end": "The end comes before the start."})
    stations = await stations_for(principal, station_ids)
    ids = [s["id"] for s in stations] or [-1]
    visits = await Visit.select(Visit.station, Visit.day, Visit.status, Visit.outcome, Visit.number).where(
        Visit.station.is_in(ids) & (Visit.day >= start) & (Visit.day <= end))
    lo = dt.datetime.combine(start, dt.time(), LOCAL)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), LOCAL)
    listed = "(" + ", ".join(str(int(i)) for i in ids) + ")"
    opened = {r["station"]: r["n"] for r in await db.raw(
        f'SELECT "station", COUNT(*) AS n FROM "case_file" WHERE "station" IN {listed} '
        'AND "created_at" >= {} AND "created_at" < {} GROUP BY "station"', lo, hi)}
    closed = {r["station"]: r["n"] for r in await db.raw(
        f'SELECT "station", COUNT(*) AS n FROM "case_file" WHERE "station" IN {listed} '
        'AND "closed_at" >= {} AND "closed_at" < {} GROUP BY "station"', lo, hi)}
    by_station: dict[int, list[dict]] = {}
    for v in visits:
        by_station.setdefault(v["station"], []).append(v)
    out = []
    for s in stations:
        t = report.totals(start, end, by_station.get(s["id"], []), [], [])
        t.cases_opened, t.cases_closed = int(opened.get(s["id"], 0)), int(closed.get(s["id"], 0))
        out.append({"station_id": s["id"], "station": s["name"], "totals": t})
    return out


RECEPTION_FIELDS = (
    ("reception_days", "Reception days"), ("visitors", "Visitors"), ("answers_given", "Answers given"),
    ("services_provided", "Services provided"), ("cases_opened_at_reception", "Cases opened at reception"),
    ("cases_opened", "Cases opened"), ("cases_closed", "Cases closed"),
)


def reception_xlsx(rows: list[dict], start: dt.date, end: dt.date, _) -> bytes:
    """One row per station and a total row (the totals add up: each is a count)."""
    from council.core.tabular import write_xlsx_book

    sheet = [[_("Reception-day totals (书记接待日统计)") + f" {start} – {end}"], [],
             [_("Station")] + [_(label) for _f, label in RECEPTION_FIELDS]]
    for r in rows:
        sheet.append([r["station"]] + [getattr(r["totals"], f) for f, _l in RECEPTION_FIELDS])
    sheet.append([_("Total")] + [sum(getattr(r["totals"], f) for r in rows) for f, _l in RECEPTION_FIELDS])
    return write_xlsx_book([(_("Reception-day totals"), sheet)])


__all__ = ["monthly", "monthly_xlsx", "mediation_xlsx", "month_range", "stations_for", "reception", "reception_xlsx",
           "BytesIO"]
