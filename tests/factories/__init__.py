"""Shared test factories, one module per package: tenants (tenants, users), casebook (cases), procurement
(projects, declarations), awards (programmes and a judged scenario), community (a CIO forum), workload
(survey rounds), support (engagements). Everything is made through the services, as its real users would
make it, inside the test's rolled-back transaction; ``in_app`` (tests/conftest.py) commits a factory's
writes into that transaction so the test client's requests see them."""
