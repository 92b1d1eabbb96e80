"""The audit log: append-only (a database trigger refuses UPDATE and DELETE, bar a scrub)."""

from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.stations.tables import Station


class AuditEntry(Table, tablename="audit_entry"):
    at = Timestamptz()
    actor = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    actor_label = Varchar(length=100, default="")  # kept even if the user is later removed
    station = ForeignKey(Station, null=True, on_delete=OnDelete.restrict)
    action = Varchar(length=60, required=True)  # e.g. unit.update, pii.view, user.login
    entity_type = Varchar(length=40, default="")
    entity_id = Integer(null=True, default=None)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    ip = Varchar(length=45, default="")
    # Set when personal data was erased from before/after (anonymising a resident); the only
    # change the database lets through (migration 0013a).
    scrubbed_at = Timestamptz(null=True, default=None)
