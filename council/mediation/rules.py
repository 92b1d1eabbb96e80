"""The rules of people's mediation that must be exactly right. Pure: no web or database imports.

Sources: People's Mediation Law of the PRC (人民调解法) Art. 17 (voluntary), Art. 28 (oral
agreement), Art. 29 (written agreement: contents, when it takes effect), Art. 31 (performance),
Art. 33 (judicial confirmation within 30 days); the Civil Procedure Law's rule for counting
periods (期间): the day the period starts on is not counted, and a period whose last day is a
statutory day off ends on the first working day after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

# ---------------------------------------------------------------- file numbers


def format_file_number(abbreviation: str, year: int, sequence: int) -> str:
    """（2026）振兴路人调字第 15 号 — numbered per mediation committee and year."""
    if sequence < 1:
        raise ValueError("a file number starts at 1")
    return f"（{year}）{abbreviation}人调字第 {sequence} 号"


# ---------------------------------------------------------------- agreement effectiveness


@dataclass(frozen=True)
class PartySignature:
    party_id: int
    name: str
    signed_on: dt.date | None  # signed, sealed or fingerprinted on that day; None: not yet


@dataclass(frozen=True)
class Effectiveness:
    effective: bool
    effective_on: dt.date | None
    # What is still missing, in the order a mediator collects it: ("party", id, name), ("mediator",),
    # ("seal",). Empty when effective.
    missing: tuple[tuple, ...] = ()


def effectiveness(form: str, *, reached_on: dt.date | None, parties: Iterable[PartySignature],
                  mediator_signed_on: dt.date | None, sealed_on: dt.date | None) -> Effectiveness:
    """When does the agreement take effect?

    Oral (Art. 28): when it is reached; the mediator's record of its content is the proof.
    Written (Art. 29): when every party has signed (or sealed / fingerprinted), the mediator has
    signed and the committee's seal is applied — on the day the last of these was done.
    A written agreement with no parties at all never takes effect: there is nobody bound by it.
    """
    if form == "oral":
        if reached_on is None:
            return Effectiveness(False, None, (("reached",),))
        return Effectiveness(True, reached_on, ())
    if form != "written":
        raise ValueError(f"unknown agreement form {form!r}")
    parties = list(parties)
    missing: list[tuple] = []
    if not parties:
        missing.append(("parties",))
    missing.extend(("party", p.party_id, p.name) for p in parties if p.signed_on is None)
    if mediator_signed_on is None:
        missing.append(("mediator",))
    if sealed_on is None:
        missing.append(("seal",))
    if missing:
        return Effectiveness(False, None, tuple(missing))
    dates = [p.signed_on for p in parties] + [mediator_signed_on, sealed_on]
    return Effectiveness(True, max(dates), ())  # type: ignore[type-var]


# ---------------------------------------------------------------- judicial confirmation

CONFIRMATION_DAYS = 30  # Art. 33: apply jointly within 30 days of the agreement taking effect
COURT_DECISION_DAYS = 15  # the court decides within 15 days (extendable by 10)
WARN_DAYS = 7  # the list of windows about to close shows those ending within a week


def eligibility(*, form: str, status_matter: str, effective: bool) -> str | None:
    """None when the parties may apply for judicial confirmation, else the msgid of why not.

    Not for matters of personal status: marriage, adoption or other status relations (who is
    whose parent, …). The property and support terms of a family dispute are not personal
    status: they are recorded with status_matter "none" and may be confirmed. The court
    reviews a document, so an oral agreement must first be written down and signed."""
    if status_matter != "none":
        return "Judicial confirmation is not available for marriage, adoption or other personal-status matters."
    if form != "written":
        return "Only a written agreement can be confirmed by a court."
    if not effective:
        return "The agreement has not taken effect yet."
    return None


def confirmation_deadline(effective_on: dt.date, is_day_off: Callable[[dt.date], bool] | None = None) -> dt.date:
    """The last day to apply: 30 days after the day the agreement took effect (that day not
    counted). When that last day is a day off (weekend or holiday, per `is_day_off`) the window
    stays open until the end of the next working day."""
    last = effective_on + dt.timedelta(days=CONFIRMATION_DAYS)
    if is_day_off is not None:
        for _ in range(60):  # the longest run of days off (Spring Festival) is far shorter
            if not is_day_off(last):
                break
            last += dt.timedelta(days=1)
    return last


def window_state(deadline: dt.date, today: dt.date, *, applied: bool) -> str:
    """applied / closed / closing (within WARN_DAYS, today included) / open."""
    if applied:
        return "applied"
    if today > deadline:
        return "closed"
    if (deadline - today).days < WARN_DAYS:
        return "closing"
    return "open"


# ---------------------------------------------------------------- obligations (Art. 31)


@dataclass(frozen=True)
class Performance:
    on: dt.date
    amount: Decimal | None = None  # money paid this time
    complete: bool = False  # the mediator saw the obligation fully performed


@dataclass(frozen=True)
class ObligationState:
    state: str  # pending / partly_performed / performed / overdue
    performed_amount: Decimal | None = None
    performed_on: dt.date | None = None
    late: bool = False  # performed, but after the due date
    partly: bool = False  # overdue, though part of it is done


def obligation_state(*, amount: Decimal | None, due: dt.date | None, performances: Iterable[Performance],
                     today: dt.date) -> ObligationState:
    """An obligation with money is performed when what was paid reaches the amount (or the
    mediator records it complete); one without money when it is recorded complete. It is overdue
    from the day after its due date until performed: being partly done does not stop that, and
    the partial payment is still shown."""
    done = sorted(performances, key=lambda p: p.on)
    paid = sum((p.amount for p in done if p.amount is not None), Decimal("0")) if amount is not None else None
    complete_on = next((p.on for p in done if p.complete), None)
    if complete_on is None and amount is not None and paid is not None and paid >= amount and done:
        running = Decimal("0")
        for p in done:
            running += p.amount or Decimal("0")
            if running >= amount:
                complete_on = p.on
                break
    if complete_on is not None:
        return ObligationState("performed", paid, complete_on, late=due is not None and complete_on > due)
    if due is not None and today > due:
        return ObligationState("overdue", paid, None, partly=bool(done))
    if done:
        return ObligationState("partly_performed", paid, None)
    return ObligationState("pending", paid, None)


# ---------------------------------------------------------------- how long a file has been open

NORMAL_DAYS = 30  # mediation should normally conclude within one month


def open_too_long(opened_on: dt.date, today: dt.date, *, closed: bool) -> bool:
    """Flag an open file after 30 days: registered on 1 March, it is flagged from 1 April on
    (more than 30 days have passed), not on 31 March."""
    return not closed and (today - opened_on).days > NORMAL_DAYS


def days_open(opened_on: dt.date, until: dt.date) -> int:
    return (until - opened_on).days


# ---------------------------------------------------------------- escalation

LEVEL_ORDER = ("community", "street", "district")


def next_level(level: str) -> str | None:
    """Three levels (三级调解): community → street → district; district is the last."""
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


def N_(msgid: str) -> str:
    """Marks a msgid for the catalogue (babel extracts N_); translated where it is shown."""
    return msgid


# ---------------------------------------------------------------- who mediates, who signs

SECRETARIAT_ROLES = frozenset({"secretary", "admin"})


def start_refusal(mediators: int) -> str | None:
    """People's Mediation Law Art. 19: the committee appoints one or more mediators (or the
    parties choose them) to mediate. Without one on the file, there is nobody to mediate."""
    if mediators < 1:
        return N_("Assign at least one mediator to the file before mediation starts.")
    return None


def mediator_signature_refusal(*, signer: int | None, recorder: int | None, recorder_role: str,
                               file_mediators: Iterable[int], on_behalf: bool) -> str | None:
    """Art. 29: the written agreement is signed by the mediator (人民调解员签名). The signature
    counts only when it is a mediator of this file who signed, and it is entered by that
    mediator themself, or by the secretariat saying it records it on the mediator's behalf (the
    mediator signed the paper; the secretary types it in). None when allowed, else the msgid."""
    mediators = set(file_mediators)
    if not mediators:
        return N_("Assign at least one mediator to the file before mediation starts.")
    if signer is None:
        return N_("Say which mediator of this file signed the agreement.")
    if signer not in mediators:
        return N_("Only a mediator of this file can sign the agreement (People's Mediation Law Art. 29).")
    if recorder is not None and recorder == signer:
        return None
    if recorder_role in SECRETARIAT_ROLES:
        if on_behalf:
            return None
        return N_("Say that you record the mediator's signature on their behalf.")
    return N_("Only the mediator who signed, or the secretary on their behalf, can record the mediator's signature.")


# ---------------------------------------------------------------- a party's refusal (Art. 17)


def refusal_close_refusal(*, actor: int | None, file_mediators: Iterable[int], confirmed: bool) -> str | None:
    """One party's refusal is recorded against that party; closing the whole file as refused
    (当事人拒绝调解) is the file's mediator's own decision, and they confirm it."""
    if actor is None or actor not in set(file_mediators):
        return N_("Only a mediator of this file can close it as refused by a party.")
    if not confirmed:
        return N_("Confirm that the file is closed because a party refuses mediation.")
    return None


def refusal_withdrawal_refusal(*, state: str, consent: str) -> str | None:
    """A refusal entered by mistake can be withdrawn while the file is still open before
    mediation — until the mediator closes the file as refused."""
    if consent != "refused":
        return N_("This party has not refused mediation.")
    if state not in ("registered", "consent"):
        return N_("The file is closed: the refusal stays on record.")
    return None


# ---------------------------------------------------------------- time runs one way


def future_refusal(day: dt.date | None, today: dt.date) -> str | None:
    """Nothing is recorded as done on a day that has not come yet (station-local day)."""
    if day is not None and day > today:
        return N_("This date is in the future.")
    return None


def session_record_refusal(starts_at: dt.datetime, now: dt.datetime) -> str | None:
    """A session's record (笔录) says what was said: it is written once the session has begun."""
    if now < starts_at:
        return N_("This session has not started yet: it can be recorded once it has begun.")
    return None


def first_agreement_session(days: Iterable[dt.date]) -> dt.date | None:
    """The day of the first session whose result was an agreement: the session that reached it."""
    days = sorted(days)
    return days[0] if days else None


def agreement_date_refusal(reached_on: dt.date | None, *, opened_on: dt.date | None,
                           session_day: dt.date | None) -> str | None:
    """An agreement cannot be dated before the session that reached it, nor before the dispute
    was registered. `session_day`: the local day of the first session recorded with the result
    "agreement reached" (None: the agreement was reached without a recorded session)."""
    if reached_on is None:
        return None
    if session_day is not None and reached_on < session_day:
        return N_("The agreement is dated before the session that reached it.")
    if opened_on is not None and reached_on < opened_on:
        return N_("The agreement is dated before the dispute was registered.")
    return None


# ---------------------------------------------------------------- the court's decision (司法确认)

COURT_EXTENSION_DAYS = 10  # extendable once by 10 days, with the court president's approval


def decision_deadline(accepted_on: dt.date, *, extended: bool) -> dt.date:
    """The court decides within 15 days of accepting the application, 25 if it extended the
    period (Supreme People's Court, Provisions on judicial confirmation of people's mediation
    agreements, 2011, Art. 5 — Art. 4 gives it 3 days to accept). The day of acceptance is not
    counted."""
    return accepted_on + dt.timedelta(days=COURT_DECISION_DAYS + (COURT_EXTENSION_DAYS if extended else 0))


def decision_state(deadline: dt.date, today: dt.date, *, ruled: bool) -> str:
    """ruled / overdue (the period ran out with no ruling recorded) / due_soon (3 days or
    fewer left) / waiting."""
    if ruled:
        return "ruled"
    if today > deadline:
        return "overdue"
    if (deadline - today).days <= 3:
        return "due_soon"
    return "waiting"


def application_refusal(*, joint: bool) -> str | None:
    """Art. 33: the parties apply *jointly*; one party alone cannot ask for confirmation."""
    if not joint:
        return N_("Judicial confirmation is applied for by the parties jointly (People's Mediation Law Art. 33).")
    return None
