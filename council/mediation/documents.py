"""The two printed papers of a dispute file, in Chinese on A4 with signature lines: the agreement
(调解协议书) and the session record (调解笔录).

Where full identity appears, and why:
- The agreement is a legal document the parties sign, each keeps a copy, and a court reviews it
  for judicial confirmation. Art. 29 requires the parties' basic details, and a party is
  identified by name and ID number (organisations by their unified social credit code): the
  agreement carries the parties' full ID numbers. Their phone numbers are not part of what
  Art. 29 names, so phones are masked there too. Printing it is audited (who printed whose ID).
- The session record is a working paper of the file: it says what was said, not who someone
  is. ID numbers and phones are masked on it, as on every screen, list and statistic.
"""

from __future__ import annotations

import asyncio

from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict, NotFound
from council.mediation import queries, vocabulary as v
from council.privacy import Unmasked, mask_id_number, mask_phone
from council.stations.tables import Station


def _zh(msgid: str) -> str:
    """Papers are printed in Chinese whatever the reader's screen language."""
    from council.core import i18n

    return i18n.translate(i18n.translations("zh_CN"), msgid)


def _cn_date(day) -> str:
    return f"{day.year} 年 {day.month} 月 {day.day} 日" if day else "　　年　　月　　日"


def _money(amount) -> str:
    return f"{amount:,.2f} 元" if amount is not None else ""


def _party(p: dict, *, full_identity: bool) -> dict:
    return {
        "id": p["id"], "role": _zh(dict(v.PARTY_ROLES)[p["role"]]), "role_code": p["role"], "name": p["name"],
        "kind": p["kind"], "gender": p["gender"], "address": p["address"],
        "id_number": Unmasked(p["id_number"] or "") if full_identity else mask_id_number(p["id_number"]),
        "phone": mask_phone(p["phone"]), "agent_name": p["agent_name"], "agent_basis": p["agent_basis"],
    }


async def _station_name(station_id: int) -> str:
    row = await Station.select(Station.name).where(Station.id == station_id).first()
    return row["name"] if row else ""


async def _agreement(principal: Principal, dispute_id: int) -> tuple[dict, dict, dict]:
    """(context, file, agreement): what the PDF and the editable DOCX both print, masked alike."""
    f = await queries.file_detail(principal, dispute_id)
    a = f["agreement"]
    if a is None or a["form"] != "written":
        raise Conflict("There is no written agreement to print.")
    sig = f.get("signatures", {})
    parties = []
    for p in f["parties"]:
        d = _party(p, full_identity=True)
        s = sig.get(p["id"])
        d["signed_on"] = _cn_date(s["signed_on"]) if s else ""
        d["method"] = _zh(dict(v.SIGN_METHODS)[s["method"]]) if s else ""
        parties.append(d)
    # The mediator's line carries the file's mediator who signed — not whoever leads the file
    # now — and stays empty until a mediator of the file has signed (agreements.agreement_effect).
    effect = f["effect"]
    mediator_signed = effect is not None and ("mediator",) not in effect.missing and a["mediator_signed_on"] is not None
    signer = next((m["name"] for m in f["mediators"] if m["user"] == a["mediator_signer"]), "") if mediator_signed else ""
    lines_filled = (all(p["signed_on"] for p in parties) and bool(parties) and bool(signer)
                    and a["sealed_on"] is not None)
    # 已生效 is printed only above signature lines that are all filled in: derived from the
    # signatures as they are now, never from a stored date alone.
    in_effect = bool(effect and effect.effective and lines_filled)
    context = {
        "station_name": await _station_name(f["station"]), "committee": f["committee_name"],
        "number": f["number"], "category": _zh(dict(v.CATEGORIES)[f["category"]]), "parties": parties,
        "facts": a["facts"], "matters": a["matters"], "responsibilities": a["responsibilities"],
        "obligations": [{"position": o["position"], "party": o["party_name"], "what": o["what"],
                         "amount": _money(o["amount"]), "due": _cn_date(o["due_date"]) if o["due_date"] else "",
                         "manner": o["manner"]} for o in f["obligations"]],
        "copies": len(parties) + 1, "mediator": signer,
        "mediator_signed_on": _cn_date(a["mediator_signed_on"]) if signer else "",
        "sealed_on": _cn_date(a["sealed_on"]) if a["sealed_on"] else "",
        "effective_on": _cn_date(effect.effective_on) if in_effect else "",
    }
    from council.stations.emblem import pdf_emblem

    context["station_emblem"] = await pdf_emblem(f["station"])
    return context, f, a


async def agreement_pdf(principal: Principal, dispute_id: int, *, ip: str = "") -> tuple[bytes, str]:
    from council import pdf

    context, f, a = await _agreement(principal, dispute_id)
    content = await pdf.render("pdf/mediation_agreement.html", context, "zh_CN")
    # The agreement shows full ID numbers: who printed it is logged like any look at them.
    await audit.record(principal, "mediation.agreement_printed", entity_type="mediation_agreement", entity_id=a["id"],
                       after={"dispute": dispute_id, "parties": [p["id"] for p in context["parties"]]},
                       station_id=f["station"], ip=ip)
    return content, f"调解协议书-{f['number']}"


async def agreement_docx(principal: Principal, dispute_id: int, *, ip: str = "") -> tuple[bytes, str]:
    """The same agreement as an editable Word/WPS file (the committees retype or amend it before
    signing): the PDF's context, so it carries what the PDF carries and masks what it masks."""
    from council.mediation.docx_agreement import agreement_docx as build

    context, f, a = await _agreement(principal, dispute_id)
    content = await asyncio.to_thread(build, context)  # python-docx: off the event loop
    await audit.record(principal, "mediation.agreement_printed", entity_type="mediation_agreement", entity_id=a["id"],
                       after={"dispute": dispute_id, "parties": [p["id"] for p in context["parties"]],
                              "format": "docx"},
                       station_id=f["station"], ip=ip)
    return content, f"调解协议书-{f['number']}"


async def session_record_pdf(principal: Principal, dispute_id: int, session_id: int) -> tuple[bytes, str]:
    from council import pdf

    f = await queries.file_detail(principal, dispute_id)
    s = next((s for s in f["sessions"] if s["id"] == session_id), None)
    if s is None:
        raise NotFound()
    context = {
        "station_name": await _station_name(f["station"]), "committee": f["committee_name"],
        "number": f["number"], "title": f["title"], "level": _zh(dict(v.LEVELS)[s["level"]]),
        "time": f'{s["local_start"]:%Y 年 %m 月 %d 日 %H:%M}—{s["local_end"]:%H:%M}',
        "place": s["room_name"] or s["place"], "mediators": "、".join(s["mediator_names"]),
        "parties": [_party(p, full_identity=False) for p in f["parties"]],
        "attendees": s["attendees"], "record": s["record"], "result": _zh(dict(v.SESSION_RESULTS).get(s["result"], "")) if s["result"] else "",
    }
    from council.stations.emblem import pdf_emblem

    context["station_emblem"] = await pdf_emblem(f["station"])
    content = await pdf.render("pdf/mediation_record.html", context, "zh_CN")
    return content, f"调解笔录-{f['number']}-{session_id}"
