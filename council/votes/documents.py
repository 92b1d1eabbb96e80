"""The vote's printed papers: the voting letters (表决票, one page per voter, with the voting link
as a QR code) and the public notice (公示). Rendered by council.pdf off the event loop.

The QR code is drawn by the `qrcode` package's SVG factory (no Pillow) and embedded as a data: URL,
the only kind of URL the PDF renderer fetches besides its own assets.
"""

from __future__ import annotations

import base64
import io

from council import pdf
from council.accounts.principal import Principal
from council.privacy import Unmasked
from council.audit import service as audit
from council.votes import queries
from council.votes.tally import explain


def qr_data_url(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    img = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


async def letters_pdf(principal: Principal, vote_id: int, base_url: str, locale: str, *, voter_id: int | None = None,
                      ip: str = "") -> bytes:
    data = await queries.letters_data(principal, vote_id, base_url, voter_id)
    for letter in data["letters"]:
        letter["qr"] = Unmasked(qr_data_url(letter["link"]))
        letter["link"] = Unmasked(letter["link"])  # a secret to print, never a phone number
    from council.votes.pages import local_time

    data["closes_at"] = local_time(data["closes_at"])
    # Printing the letters hands out live voting links: the log says who printed how many.
    from council.votes.common import get_vote

    row = await get_vote(vote_id)
    await audit.record(principal, "vote.letters_printed", entity_type="vote", entity_id=vote_id,
                       after={"letters": len(data["letters"]), "voter": voter_id}, station_id=row["station"], ip=ip)
    from council.stations.emblem import pdf_emblem

    data["station_emblem"] = await pdf_emblem(row["station"])
    return await pdf.render("pdf/ballot_letter.html", data, locale)


async def notice_pdf(vote_id: int, locale: str) -> bytes:
    from council.web.rendering import translator

    n = await queries.notice_data(vote_id)
    n["reasons"] = explain(n["result"], translator(locale))
    from council.votes.rules import RULE_SETS

    n["rule_label"] = dict(RULE_SETS).get(n["rule_set"], n["rule_set"])
    from council.votes.rules import MATTERS

    n["matter_label"] = dict(MATTERS).get(n["matter"], "Matter not stated")
    for o in n["result"]["options"] + [n["result"]["spoiled"]]:
        o["area_m2"] = queries.fmt_area(o["area"])
    n["progress"] = queries.progress_of({"secret": n["secret"], "state": "closed"}, n["result"])
    from council.votes.pages import local_time

    n["opened_at"], n["closed_at"] = local_time(n["opened_at"]), local_time(n["closed_at"])
    n["closes_at"] = local_time(n["closes_at"]) if n["closes_at"] else ""
    n["notice_until"] = n["notice_until"].isoformat() if n["notice_until"] else ""
    from council.stations.emblem import pdf_emblem
    from council.votes.common import get_vote

    n["station_emblem"] = await pdf_emblem((await get_vote(vote_id))["station"])
    return await pdf.render("pdf/vote_notice.html", n, locale)
