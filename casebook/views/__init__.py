"""The casebook's pages: a municipality's own cases (cases.py) and the shared casebook with curation (shared.py)."""
from casebook.views import cases, shared  # noqa: F401
