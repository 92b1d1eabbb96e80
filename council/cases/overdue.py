"""What "overdue" means, in one place: the case page, the lists, the inbox, "my tasks", the home
page and the dashboard all ask these two functions (the list and dashboard SQL in
council.cases.queries states the same rule as a WHERE clause). No web or database imports.

- A case is overdue when it is a request still in the closed loop (registered … reported) whose
  working-day deadline is before today. Proposals and disputes have no single deadline: their
  lateness shows through their tasks and the mediation windows.
- A task is overdue when it is neither done nor cancelled and its due date is before today.
"""

from __future__ import annotations

import datetime as dt

from council.cases.request_loop import OPEN as OPEN_REQUEST_STATES
from council.cases.vocabulary import TASK_FINISHED


def case_overdue(kind: str, state: str, due_date: dt.date | None, today: dt.date) -> bool:
    return kind == "request" and state in OPEN_REQUEST_STATES and due_date is not None and due_date < today


def task_overdue(status: str, due_date: dt.date | None, today: dt.date) -> bool:
    return status not in TASK_FINISHED and due_date is not None and due_date < today
