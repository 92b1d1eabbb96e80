"""Notifications on the case timeline: who was told, how, when, and what became of it
(已短信通知 悦园物业 10:02 · 已送达)."""

from __future__ import annotations

from council.core import i18n
from council.core.prepared import prepared
from council.notify.tables import Outbox


def N_(msgid: str) -> str:
    return msgid


CHANNEL_DONE = {"sms": N_("Notified by SMS"), "email": N_("Notified by e-mail"),
                "wecom": N_("Notified in the WeCom group"), "inapp": N_("Notified in the app")}
STATUS = {"sent": N_("Delivered"), "pending": N_("Waiting to send"), "sending": N_("Sending"),
          "held": i18n.C_("delivery", "Held"), "dead": i18n.C_("delivery", "Failed"),
          "uncertain": N_("Uncertain: check the group"), "digested": N_("In the digest")}
LABEL = N_("Notification")
# What acted: the delivery worker, not a person. Written in the site's language, as the stored
# labels of the case's own events are (the system's is 服务器命令行（council）).
ACTOR = N_("Message delivery")


async def case_entries(case_id: int) -> list[dict]:
    rows = await _sent(case_id)
    actor = i18n.gettext(i18n.DEFAULT_LOCALE, ACTOR)
    return [{
        "id": 0, "at": r["created_at"], "kind": "notified", "from_state": "", "to_state": "", "text": "",
        "actor_label": actor,
        "data": {"notify_channel": r["channel"], "notify_to": r["recipient_label"], "notify_status": r["status"],
                 "notify_how": CHANNEL_DONE.get(r["channel"], r["channel"]),
                 "notify_outcome": STATUS.get(r["status"], r["status"]),
                 "notify_at": r["sent_at"] or r["created_at"], "notify_attempts": r["attempts"]},
    } for r in rows]


_sent = prepared(lambda case_id: Outbox.select(
    Outbox.id, Outbox.channel, Outbox.recipient_label, Outbox.status, Outbox.created_at, Outbox.sent_at,
    Outbox.attempts).where(Outbox.case == case_id).order_by(Outbox.id))
