"""The words dispute files are described with (msgids, translated where shown). No web or db imports."""

from council.core.i18n import C_

CATEGORIES = (
    ("neighbours", "Neighbour dispute"), ("property_service", "Property service"),
    ("family_marriage", "Family and marriage"), ("bride_price", "Bride price"), ("contract", "Contract dispute"),
    ("wages", "Wages"), ("damage", "Damage compensation"), ("other", "Other"),
)
# The station's case category a dispute of each mediation category is filed under in the case list
# (the station may have renamed or dropped these: "other", then the first active one, is the fallback).
CASE_CATEGORY = {"neighbours": "neighbours", "property_service": "property"}
SOURCES = (
    ("applied", "A party applied"), ("court", "Referred by a court"), ("police", "Referred by the police"),
    ("department", "Referred by a department"), ("grid_worker", "Found by a grid worker"),
)
PARTY_ROLES = (("applicant", "Applicant"), ("respondent", "Respondent"))
PARTY_KINDS = (("person", "Person"), ("organisation", "Organisation"))
CONSENT = (("", "Not asked yet"), ("given", "Agrees to mediation"), ("refused", "Refuses mediation"))
LEVELS = (("community", "Community"), ("street", "Street"), ("district", "District"))
SESSION_RESULTS = (
    ("", "Not recorded yet"), ("continue", "To be continued"), ("agreement", "Agreement reached"),
    ("no_agreement", "No agreement"),
)
REFERRALS = (("court", "Court"), ("arbitration", "Arbitration"), ("department", "A department"))
AGREEMENT_FORMS = (("written", "Written agreement"), ("oral", "Oral agreement"))
SIGN_METHODS = (("signature", "Signature"), ("seal", "Seal"), ("fingerprint", "Fingerprint"))
# Judicial confirmation is not available for matters of personal status (Art. 33 and the court's rules).
STATUS_MATTERS = (
    ("none", "None: only rights and obligations"), ("marriage", "Marriage relation"),
    ("adoption", "Adoption relation"), ("personal_status", "Other personal status (e.g. parentage)"),
)
# The court's "Rejected" (驳回) is not a rejected proposal's (不予受理): msgctxt "ruling".
RULINGS = (("", "Waiting for the ruling"), ("confirmed", "Confirmed"), ("rejected", C_("ruling", "Rejected")))
OBLIGATION_STATES = (
    ("pending", "Pending"), ("partly_performed", "Partly performed"), ("performed", "Performed"),
    ("overdue", "Overdue"),
)
STATES = (
    ("registered", "Registered"), ("consent", "Seeking consent"), ("mediating", "Mediating"),
    ("settled", "Settled"), ("not_settled", "Not settled"), ("withdrawn", "Withdrawn"),
    ("terminated", "Terminated"), ("refused", "Refused by a party"),
)


def codes(pairs) -> frozenset[str]:
    return frozenset(p[0] for p in pairs)
