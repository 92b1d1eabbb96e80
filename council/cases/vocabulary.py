"""The words cases are described with: kinds, channels, priorities, default categories, … (msgids)."""

KINDS = (("proposal", "Proposal"), ("request", "Request"), ("dispute", "Dispute"))
CHANNELS = (
    ("reception_day", "Reception day"), ("grid_group", "Grid WeChat group"), ("hotline_12345", "12345 hotline"),
    ("patrol", "Patrol"), ("online", "Online"), ("other", "Other"),
)
PRIORITIES = (("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent"))
# (code, msgid, time limit in working days) — a new station starts with these; each station edits its own.
DEFAULT_CATEGORIES = (
    ("property", "Property management", 5),
    ("environment", "Environment and sanitation", 5),
    ("traffic", "Traffic and parking", 5),
    ("safety", "Safety", 1),
    ("neighbours", "Neighbours", 5),
    ("facilities", "Public facilities", 15),
    ("elderly_children", "Elderly and children", 5),
    ("other", "Other", 5),
)
STANCES = (("for", "For"), ("against", "Against"), ("neutral", "Neutral"))
FUNDING_SOURCES = (
    ("maintenance_fund", "Building maintenance fund"), ("estate_revenue", "Estate public revenue"),
    ("property_manager", "Property company"), ("residents_pledges", "Residents' pledges"),
    ("government_subsidy", "Government subsidy"), ("co_building_unit", "Co-building unit"),
)
RATINGS = (("satisfied", "Satisfied"), ("basically_satisfied", "Basically satisfied"), ("unsatisfied", "Unsatisfied"))
TASK_STATUSES = (("open", "Not started"), ("in_progress", "In progress"), ("done", "Done"), ("cancelled", "Cancelled"))
# A task in one of these states no longer holds its case open (cancelled ones carry a reason).
TASK_FINISHED = frozenset({"done", "cancelled"})
ESCALATION_LEVELS = ("", "street", "district")


def codes(pairs) -> frozenset[str]:
    return frozenset(p[0] for p in pairs)
