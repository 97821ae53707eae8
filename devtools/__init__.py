"""Development-only code: never imported by the production app."""
