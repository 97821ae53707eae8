"""What joint procurement keeps confidential — the one list the publication exports are checked against.

The declaration form promises 「自団体と主催者だけが閲覧できます」: whatever is listed here is seen
inside the portal only by the municipality it belongs to and the project's organisers, and never
leaves in a publication format (the public OCDS package). The organiser's internal export may carry
it and says so. ``tests/procurement/test_ocds_confidential.py`` generates projects and proves that
none of it reaches the public package.
"""
from __future__ import annotations

# model attribute → why it is confidential
CONFIDENTIAL_FIELDS: dict[str, str] = {
    "Declaration.max_budget_yen": "a municipality's budget ceiling (予算上限) — a negotiating position",
    "Declaration.contact_name": "personal data of the municipality's contact person",
    "Declaration.contact_email": "personal data of the municipality's contact person",
    "Declaration.contact_phone": "personal data of the municipality's contact person",
    "Declaration.remarks": "internal remarks of the municipality to the organiser",
    "Declaration.created_by_user_id": "who inside the municipality prepared the declaration",
    "Declaration.updated_by_user_id": "who inside the municipality prepared the declaration",
    "Declaration.approved_by_user_id": "who inside the municipality approved it",
    "Quote.notes": "the organiser's notes on a vendor's quote",
    "Allocation.standalone_yen": "a municipality's price when buying alone (internal comparison)",
}

# Declarations in these states are not a municipality's decision yet (or no longer): neither the
# municipality nor its quantities appear in a publication.
UNPUBLISHED_DECLARATION_STATUSES = frozenset({"interested", "pending_approval", "withdrawn"})


def publishable(declaration: object) -> bool:
    """Only a committed (approved) declaration may be named in a publication."""
    return getattr(declaration, "status", None) not in UNPUBLISHED_DECLARATION_STATUSES
