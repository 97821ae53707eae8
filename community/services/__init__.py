"""Writers of the community domain, one module per area. Services flush and audit; they never commit.

Every function takes the acting user explicitly and raises ``ServiceError`` (a message for the user,
optionally the form field it belongs to) when it refuses; nothing is written then.
"""
