"""A task of an action plan can be cancelled, with the reason kept beside it: a case closes only
when each of its tasks is done or cancelled with a reason (issue 13)."""

ID = "0012a_task_cancel"


def statements(engine_type: str) -> list[str]:
    return ['ALTER TABLE "case_task" ADD COLUMN "cancel_reason" TEXT NOT NULL DEFAULT \'\'']
