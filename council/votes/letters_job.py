"""Voting letters for a whole electorate as a background job (council.jobs): a few hundred
households take longer than a request should hang. The letters are rendered in chunks through the
PDF workers, progress committed after each chunk, and joined into one PDF (pypdf) at the end.

start(): the use case behind the vote page's "Print the voting letters" button.
run(): the job's handler (council.jobs.rules.KINDS["letters"]).
"""

from __future__ import annotations

import asyncio
import io

from council import pdf
from council.accounts.principal import Principal
from council.audit import service as audit
from council.core.errors import Conflict
from council.jobs import service as jobs
from council.privacy import Unmasked
from council.votes import policy, queries
from council.votes.common import load_vote
from council.votes.tables import VoteVoter

CHUNK = 40  # letters per PDF render: progress moves every few seconds, a render never takes long


def N_(msgid: str) -> str:
    return msgid


async def start(principal: Principal, vote_id: int, *, base_url: str, locale: str, ip: str = "") -> int:
    """Queue the letters of every voter of an open vote; returns the job's id (audited)."""
    row = await load_vote(principal, vote_id, policy.can_manage)
    if row["state"] != "open":
        raise Conflict("Voting letters are printed while the vote is open.")
    total = await VoteVoter.count().where(VoteVoter.vote == vote_id)
    return await jobs.enqueue(principal, "letters", station=row["station"], subject_id=vote_id, total=total,
                              params={"vote": vote_id, "base_url": base_url, "locale": locale, "ip": ip}, ip=ip)


def _join(parts: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    first = PdfReader(io.BytesIO(parts[0])).metadata or {}
    writer.add_metadata({k: v for k, v in first.items() if isinstance(v, str)})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def run(ctx) -> None:
    from council.core.localtime import local_time
    from council.votes.documents import qr_data_url

    p = ctx.params
    vote_id = int(p["vote"])
    data = await queries.letters_data(ctx.principal, vote_id, p["base_url"])
    letters = data.pop("letters")
    total = len(letters)
    if total == 0:
        from council.jobs.runner import JobFailed

        raise JobFailed("This vote has no voters: there is no letter to print.")
    data["closes_at"] = local_time(data["closes_at"])
    await ctx.progress(0, total, N_("Printing the letters: %(done)s of %(total)s."), done=0, total=total)
    parts: list[bytes] = []
    for start_at in range(0, total, CHUNK):
        chunk = letters[start_at:start_at + CHUNK]
        for letter in chunk:
            letter["qr"] = Unmasked(qr_data_url(letter["link"]))
            letter["link"] = Unmasked(letter["link"])  # a secret to print, never a phone number
        parts.append(await pdf.render("pdf/ballot_letter.html", {**data, "letters": chunk}, p["locale"]))
        done = start_at + len(chunk)
        await ctx.progress(done, total, N_("Printing the letters: %(done)s of %(total)s."), done=done, total=total)
    content = parts[0] if len(parts) == 1 else await asyncio.to_thread(_join, parts)
    from council import db
    from council.votes.common import get_vote

    row = await get_vote(vote_id)
    # Printing the letters hands out live voting links: the log says who printed how many.
    async with db.write():
        await audit.record(ctx.principal, "vote.letters_printed", entity_type="vote", entity_id=vote_id,
                           after={"letters": total, "voter": None, "job": ctx.job["id"]}, station_id=row["station"],
                           ip=p.get("ip", ""))
    ctx.summary = {"letters": total, "vote": vote_id}
    ctx.set_result(content, f"vote-{vote_id}-letters.pdf", "application/pdf")
