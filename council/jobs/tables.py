"""Background jobs (council.jobs): one row per piece of long work a user asked for.

Claim times (claim_until_ms) are integer milliseconds since the epoch, as in council.notify: the
runner compares them in raw SQL on both engines, and integers compare the same everywhere.
"""

from piccolo.columns import JSON, BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from council.accounts.tables import User
from council.stations.tables import Station


class Job(Table, tablename="job"):
    kind = Varchar(length=30, required=True)  # letters / import / backup (council.jobs.kinds)
    # The station the work is for (letters, imports); none for a backup (administrators only).
    station = ForeignKey(Station, null=True, on_delete=OnDelete.restrict)
    requested_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    requested_label = Varchar(length=120, default="")
    subject_id = Integer(null=True, default=None)  # the vote / estate the job works on
    params = JSON(default="{}")  # what the handler needs (never a secret: no tokens, no passwords)
    state = Varchar(length=10, default="queued")  # queued → running → done | failed
    done = Integer(default=0)
    total = Integer(default=0)
    message = Text(default="")  # the current step, a msgid (translated when shown) with message_params
    message_params = JSON(default="{}")
    summary = JSON(default="{}")  # what the job did (an import's counts), shown on the job page
    result_key = Varchar(length=100, default="")  # council.storage key of the result file
    result_name = Varchar(length=200, default="")
    result_media = Varchar(length=100, default="")
    result_size = BigInt(default=0)
    error = Text(default="")
    claimed_by = Varchar(length=80, default="")
    claim_until_ms = BigInt(default=0)
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)


TABLES = [Job]
