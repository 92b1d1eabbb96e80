"""Grid-group intake: messages pasted from a grid's WeChat group become draft visits, each kept
with its sender and text, for staff to confirm into the day's queue or discard."""

from __future__ import annotations

from typing import Any

from council import db
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Invalid
from council.reception import paste, queue
from council.reception.desk import FIX, NUMBER_RETRIES, _claim, _day, _insert_visit, _load, _text
from council.reception.store import desk_station
from council.reception.tables import Visit

MAX_PASTE = 50_000
MAX_DRAFTS = 200


async def import_paste(principal: Principal, station_id: int | None, text: str, day: Any = None, ip: str = "") -> dict:
    """Parse the paste and store one draft per message. Returns {"created", "skipped", "ids"}."""
    errors: dict[str, str] = {}
    station = await desk_station(principal, station_id)
    when = _day(day, errors)
    if not (text or "").strip():
        errors["text"] = "This field is required."
    elif len(text) > MAX_PASTE:
        errors["text"] = "Too long."
    if errors:
        raise Invalid(FIX, errors=errors)
    parsed = paste.parse(text)
    if not parsed.drafts:
        raise Invalid(FIX, errors={"text": "No messages found: paste lines like “name: message”."})
    if len(parsed.drafts) > MAX_DRAFTS:
        raise Invalid(FIX, errors={"text": "Too many messages at once: paste at most 200."})
    ids = []
    async with db.write():
        for d in parsed.drafts:
            first_line = d.text.split("\n", 1)[0]
            row = await _insert_visit(
                principal, station, when, {}, first_line[:200], d.text[:5000], None, d.sender[:100], ip,
                status=queue.DRAFT, source="grid_group",
                extra={"sender": d.sender[:100], "message": d.text, "message_time": d.time[:40]})
            ids.append(row["id"])
        await audit.record(principal, "reception.grid_paste", entity_type="station", entity_id=station["id"],
                           after={"drafts": len(ids), "skipped_lines": parsed.skipped}, station_id=station["id"], ip=ip)
    return {"created": len(ids), "skipped": parsed.skipped, "ids": ids}


async def confirm_draft(principal: Principal, visit_id: int, data: dict[str, Any], ip: str = "") -> dict:
    """The draft joins the day's queue with the next number; topic, category and the visitor
    (a known resident) may be corrected on the way."""
    from council.reception.desk import _category, _id

    allowed = {"topic", "category", "person", "version"}
    errors = {k: "Unknown field." for k in data if k not in allowed}
    for attempt in range(NUMBER_RETRIES):
        try:
            async with db.write():
                row = await _load(principal, visit_id)
                topic = _text(data, "topic", errors) or row["topic"]
                category = await _category(row["station"], data.get("category"), errors, required=False) or row["category"]
                person = _id(data, "person", errors)
                if person is not None:
                    from council.people.tables import Person

                    p = await Person.select(Person.community).where(Person.id == person).first()
                    if p is None or p["community"] != row["community"]:
                        errors["person"] = "Choose one of the listed options."
                if errors:
                    raise Invalid(FIX, errors=errors)
                taken = await db.raw('SELECT MAX("number") AS n FROM "reception_visit" WHERE "station" = {} AND "day" = {}',
                                     row["station"], row["day"])
                values = {"number": queue.next_number([taken[0]["n"]] if taken else []), "topic": topic,
                          "category": category, "arrived_at": row["created_at"]}
                if person is not None:
                    values["person"] = person
                return await _claim(principal, row, "confirm", values, data.get("version"), ip)
        except Exception as exc:  # noqa: BLE001 — only a number collision is retried
            if not db.is_unique_violation(exc) or attempt == NUMBER_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def discard_draft(principal: Principal, visit_id: int, version: Any = None, ip: str = "") -> dict:
    async with db.write():
        row = await _load(principal, visit_id)
        return await _claim(principal, row, "discard", {}, version, ip)


__all__ = ["import_paste", "confirm_draft", "discard_draft", "Visit"]
